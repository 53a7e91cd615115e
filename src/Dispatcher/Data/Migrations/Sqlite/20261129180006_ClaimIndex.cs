using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ClaimIndex : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_dispatch_id_status",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_dispatch_id_status_id",
                table: "deliveries",
                columns: new[] { "dispatch_id", "status", "id" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
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
