using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class DispatchEmailsAndClaimIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_dispatch_id_status",
                table: "deliveries");

            migrationBuilder.CreateTable(
                name: "dispatch_emails",
                columns: table => new
                {
                    dispatch_id = table.Column<long>(type: "bigint", nullable: false),
                    list_id = table.Column<int>(type: "integer", nullable: false),
                    subject = table.Column<string>(type: "character varying(1000)", maxLength: 1000, nullable: false),
                    nonce = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    html_with_name = table.Column<string>(type: "text", nullable: false),
                    text_with_name = table.Column<string>(type: "text", nullable: false),
                    html_without_name = table.Column<string>(type: "text", nullable: false),
                    text_without_name = table.Column<string>(type: "text", nullable: false),
                    created_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_dispatch_emails", x => new { x.dispatch_id, x.list_id });
                    table.ForeignKey(
                        name: "fk_dispatch_emails_dispatches_dispatch_id",
                        column: x => x.dispatch_id,
                        principalTable: "dispatches",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_dispatch_id_status_id",
                table: "deliveries",
                columns: new[] { "dispatch_id", "status", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "dispatch_emails");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_dispatch_id_status_id",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_dispatch_id_status",
                table: "deliveries",
                columns: new[] { "dispatch_id", "status" });
        }
    }
}
