using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class StatementAudience : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "audience",
                table: "statements",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "audience",
                table: "statements");
        }
    }
}
