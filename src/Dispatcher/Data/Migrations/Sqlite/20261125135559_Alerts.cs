using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Alerts : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "alerts",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    subject = table.Column<string>(type: "TEXT", maxLength: 300, nullable: false),
                    body_markdown = table.Column<string>(type: "TEXT", nullable: false),
                    body_html = table.Column<string>(type: "TEXT", nullable: false),
                    action_url = table.Column<string>(type: "TEXT", maxLength: 2000, nullable: true),
                    action_label = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    status = table.Column<int>(type: "INTEGER", nullable: false),
                    created_by = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    created_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    updated_at = table.Column<DateTime>(type: "TEXT", nullable: false),
                    requested_by = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    requested_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    approved_by = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    approved_at = table.Column<DateTime>(type: "TEXT", nullable: true),
                    dispatch_id = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_alerts", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "alert_lists",
                columns: table => new
                {
                    alert_id = table.Column<long>(type: "INTEGER", nullable: false),
                    list_id = table.Column<int>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_alert_lists", x => new { x.alert_id, x.list_id });
                    table.ForeignKey(
                        name: "fk_alert_lists_alerts_alert_id",
                        column: x => x.alert_id,
                        principalTable: "alerts",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_alert_lists_lists_list_id",
                        column: x => x.list_id,
                        principalTable: "lists",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_dispatches_alert_id",
                table: "dispatches",
                column: "alert_id");

            migrationBuilder.CreateIndex(
                name: "ix_alert_lists_list_id",
                table: "alert_lists",
                column: "list_id");

            migrationBuilder.CreateIndex(
                name: "ix_alerts_status",
                table: "alerts",
                column: "status");

            migrationBuilder.AddForeignKey(
                name: "fk_dispatches_alerts_alert_id",
                table: "dispatches",
                column: "alert_id",
                principalTable: "alerts",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_dispatches_alerts_alert_id",
                table: "dispatches");

            migrationBuilder.DropTable(
                name: "alert_lists");

            migrationBuilder.DropTable(
                name: "alerts");

            migrationBuilder.DropIndex(
                name: "ix_dispatches_alert_id",
                table: "dispatches");
        }
    }
}
