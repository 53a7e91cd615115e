using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class WorkerLiveness : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<Guid>(
                name: "worker_id",
                table: "deliveries",
                type: "uuid",
                nullable: true);

            migrationBuilder.CreateTable(
                name: "workers",
                columns: table => new
                {
                    id = table.Column<Guid>(type: "uuid", nullable: false),
                    name = table.Column<string>(type: "character varying(300)", maxLength: 300, nullable: false),
                    started_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    heartbeat_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    declared_dead_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    stopped_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_workers", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_held_by",
                table: "deliveries",
                column: "worker_id",
                filter: "status = 1");

            migrationBuilder.CreateIndex(
                name: "ix_audit_target_id",
                table: "audit",
                columns: new[] { "target", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "workers");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_held_by",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_audit_target_id",
                table: "audit");

            migrationBuilder.DropColumn(
                name: "worker_id",
                table: "deliveries");
        }
    }
}
