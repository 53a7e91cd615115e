using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ApproversTold : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "approvers_told_at",
                table: "alerts",
                type: "TEXT",
                nullable: true);

            // Alerts already waiting were told when they were asked for (the message went out then, or was lost before
            // anyone could know): only requests from now on are re-driven.
            migrationBuilder.Sql("UPDATE alerts SET approvers_told_at = requested_at WHERE status = 1");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "approvers_told_at",
                table: "alerts");
        }
    }
}
