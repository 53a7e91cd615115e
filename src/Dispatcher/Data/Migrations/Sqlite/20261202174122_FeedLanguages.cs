using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class FeedLanguages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "language",
                table: "feeds",
                type: "TEXT",
                maxLength: 35,
                nullable: true);

            migrationBuilder.AddColumn<int>(
                name: "translates_feed_id",
                table: "feeds",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_feeds_translates_feed_id",
                table: "feeds",
                column: "translates_feed_id");

            migrationBuilder.AddForeignKey(
                name: "fk_feeds_feeds_translates_feed_id",
                table: "feeds",
                column: "translates_feed_id",
                principalTable: "feeds",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_feeds_feeds_translates_feed_id",
                table: "feeds");

            migrationBuilder.DropIndex(
                name: "ix_feeds_translates_feed_id",
                table: "feeds");

            migrationBuilder.DropColumn(
                name: "language",
                table: "feeds");

            migrationBuilder.DropColumn(
                name: "translates_feed_id",
                table: "feeds");
        }
    }
}
