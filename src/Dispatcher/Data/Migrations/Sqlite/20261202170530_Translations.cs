using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Translations : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropPrimaryKey(
                name: "pk_dispatch_emails",
                table: "dispatch_emails");

            migrationBuilder.AddColumn<string>(
                name: "language",
                table: "statements",
                type: "TEXT",
                maxLength: 35,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "welcome_translations",
                table: "lists",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "language",
                table: "dispatch_emails",
                type: "TEXT",
                maxLength: 35,
                nullable: false,
                defaultValue: "");

            migrationBuilder.AddColumn<string>(
                name: "language",
                table: "alerts",
                type: "TEXT",
                maxLength: 35,
                nullable: true);

            migrationBuilder.AddPrimaryKey(
                name: "pk_dispatch_emails",
                table: "dispatch_emails",
                columns: new[] { "dispatch_id", "list_id", "language" });

            migrationBuilder.CreateTable(
                name: "alert_translations",
                columns: table => new
                {
                    alert_id = table.Column<long>(type: "INTEGER", nullable: false),
                    language = table.Column<string>(type: "TEXT", maxLength: 35, nullable: false),
                    subject = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    body_markdown = table.Column<string>(type: "TEXT", nullable: false),
                    body_html = table.Column<string>(type: "TEXT", nullable: false),
                    action_url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    action_label = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_alert_translations", x => new { x.alert_id, x.language });
                    table.ForeignKey(
                        name: "fk_alert_translations_alerts_alert_id",
                        column: x => x.alert_id,
                        principalTable: "alerts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "statement_translations",
                columns: table => new
                {
                    statement_id = table.Column<long>(type: "INTEGER", nullable: false),
                    language = table.Column<string>(type: "TEXT", maxLength: 35, nullable: false),
                    title = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    author = table.Column<string>(type: "TEXT", maxLength: 200, nullable: true),
                    summary = table.Column<string>(type: "TEXT", nullable: true),
                    body_html = table.Column<string>(type: "TEXT", nullable: true),
                    url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_statement_translations", x => new { x.statement_id, x.language });
                    table.ForeignKey(
                        name: "fk_statement_translations_statements_statement_id",
                        column: x => x.statement_id,
                        principalTable: "statements",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "alert_translations");

            migrationBuilder.DropTable(
                name: "statement_translations");

            migrationBuilder.DropPrimaryKey(
                name: "pk_dispatch_emails",
                table: "dispatch_emails");

            migrationBuilder.DropColumn(
                name: "language",
                table: "statements");

            migrationBuilder.DropColumn(
                name: "welcome_translations",
                table: "lists");

            migrationBuilder.DropColumn(
                name: "language",
                table: "dispatch_emails");

            migrationBuilder.DropColumn(
                name: "language",
                table: "alerts");

            migrationBuilder.AddPrimaryKey(
                name: "pk_dispatch_emails",
                table: "dispatch_emails",
                columns: new[] { "dispatch_id", "list_id" });
        }
    }
}
