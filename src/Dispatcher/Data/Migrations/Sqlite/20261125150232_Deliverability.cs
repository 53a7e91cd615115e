using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Deliverability : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "report_key",
                table: "bounces",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "kept_mail",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    report_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 500, nullable: false),
                    from = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    subject = table.Column<string>(type: "TEXT", maxLength: 500, nullable: true),
                    raw = table.Column<byte[]>(type: "BLOB", nullable: false),
                    truncated = table.Column<bool>(type: "INTEGER", nullable: false),
                    received_at = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_kept_mail", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_bounces_report_key",
                table: "bounces",
                column: "report_key",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_kept_mail_received_at",
                table: "kept_mail",
                column: "received_at");

            migrationBuilder.CreateIndex(
                name: "ix_kept_mail_report_key",
                table: "kept_mail",
                column: "report_key",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "kept_mail");

            migrationBuilder.DropIndex(
                name: "ix_bounces_report_key",
                table: "bounces");

            migrationBuilder.DropColumn(
                name: "report_key",
                table: "bounces");
        }
    }
}
