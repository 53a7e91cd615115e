using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class DeliveriesIndexedByPersonFirst : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_dispatch_id_subscriber_id",
                table: "deliveries");

            migrationBuilder.DropIndex(
                name: "ix_deliveries_subscriber_id",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_subscriber_id_dispatch_id",
                table: "deliveries",
                columns: new[] { "subscriber_id", "dispatch_id" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_deliveries_subscriber_id_dispatch_id",
                table: "deliveries");

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_dispatch_id_subscriber_id",
                table: "deliveries",
                columns: new[] { "dispatch_id", "subscriber_id" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_deliveries_subscriber_id",
                table: "deliveries",
                column: "subscriber_id");
        }
    }
}
