using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class DeliveriesWithoutForeignKeys : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "fk_deliveries_dispatches_dispatch_id",
                table: "deliveries");

            migrationBuilder.DropForeignKey(
                name: "fk_deliveries_subscribers_subscriber_id",
                table: "deliveries");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddForeignKey(
                name: "fk_deliveries_dispatches_dispatch_id",
                table: "deliveries",
                column: "dispatch_id",
                principalTable: "dispatches",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);

            migrationBuilder.AddForeignKey(
                name: "fk_deliveries_subscribers_subscriber_id",
                table: "deliveries",
                column: "subscriber_id",
                principalTable: "subscribers",
                principalColumn: "id",
                onDelete: ReferentialAction.SetNull);
        }
    }
}
