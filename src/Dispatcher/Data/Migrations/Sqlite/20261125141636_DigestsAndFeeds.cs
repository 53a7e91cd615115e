using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class DigestsAndFeeds : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_statement_lists_list_id",
                table: "statement_lists");

            migrationBuilder.AddColumn<long>(
                name: "digest_cursor",
                table: "subscriptions",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            // Existing subscriptions start at the newest statement: their first digest is not the whole archive.
            migrationBuilder.Sql("UPDATE subscriptions SET digest_cursor = COALESCE((SELECT MAX(id) FROM statements), 0);");

            migrationBuilder.AddColumn<int>(
                name: "distribution",
                table: "statements",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0);

            migrationBuilder.AddColumn<int>(
                name: "cadence",
                table: "dispatches",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.AddColumn<long>(
                name: "digest_up_to",
                table: "dispatches",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "digest_runs",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    cadence = table.Column<int>(type: "INTEGER", nullable: false),
                    period = table.Column<DateTime>(type: "TEXT", nullable: false),
                    dispatch_id = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_digest_runs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "feeds",
                columns: table => new
                {
                    id = table.Column<int>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: false),
                    poll_minutes = table.Column<int>(type: "INTEGER", nullable: false),
                    send_immediately = table.Column<bool>(type: "INTEGER", nullable: false),
                    e_tag = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    last_modified = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_polled_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    last_success_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    next_poll_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 1000, nullable: true),
                    consecutive_failures = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_feeds", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "feed_lists",
                columns: table => new
                {
                    feed_id = table.Column<int>(type: "INTEGER", nullable: false),
                    list_id = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_feed_lists", x => new { x.feed_id, x.list_id });
                    table.ForeignKey(
                        name: "fk_feed_lists_feeds_feed_id",
                        column: x => x.feed_id,
                        principalTable: "feeds",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_feed_lists_lists_list_id",
                        column: x => x.list_id,
                        principalTable: "lists",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_statement_lists_list_id_statement_id",
                table: "statement_lists",
                columns: new[] { "list_id", "statement_id" });

            migrationBuilder.CreateIndex(
                name: "ix_digest_runs_cadence_period",
                table: "digest_runs",
                columns: new[] { "cadence", "period" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_feed_lists_list_id",
                table: "feed_lists",
                column: "list_id");

            migrationBuilder.CreateIndex(
                name: "ix_feeds_next_poll_at",
                table: "feeds",
                column: "next_poll_at");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "digest_runs");

            migrationBuilder.DropTable(
                name: "feed_lists");

            migrationBuilder.DropTable(
                name: "feeds");

            migrationBuilder.DropIndex(
                name: "ix_statement_lists_list_id_statement_id",
                table: "statement_lists");

            migrationBuilder.DropColumn(
                name: "digest_cursor",
                table: "subscriptions");

            migrationBuilder.DropColumn(
                name: "distribution",
                table: "statements");

            migrationBuilder.DropColumn(
                name: "cadence",
                table: "dispatches");

            migrationBuilder.DropColumn(
                name: "digest_up_to",
                table: "dispatches");

            migrationBuilder.CreateIndex(
                name: "ix_statement_lists_list_id",
                table: "statement_lists",
                column: "list_id");
        }
    }
}
