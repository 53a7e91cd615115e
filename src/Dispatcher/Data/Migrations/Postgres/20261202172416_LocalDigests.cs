using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LocalDigests : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_digest_runs_cadence_period",
                table: "digest_runs");

            migrationBuilder.AddColumn<DateOnly>(
                name: "daily_digest_on",
                table: "subscribers",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "weekly_digest_on",
                table: "subscribers",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<DateOnly>(
                name: "local_date",
                table: "digest_runs",
                type: "date",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "time_zone",
                table: "digest_runs",
                type: "character varying(64)",
                maxLength: 64,
                nullable: false,
                defaultValue: "");

            migrationBuilder.CreateIndex(
                name: "ix_digest_runs_cadence_time_zone_period",
                table: "digest_runs",
                columns: new[] { "cadence", "time_zone", "period" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_digest_runs_cadence_time_zone_period",
                table: "digest_runs");

            migrationBuilder.DropColumn(
                name: "daily_digest_on",
                table: "subscribers");

            migrationBuilder.DropColumn(
                name: "weekly_digest_on",
                table: "subscribers");

            migrationBuilder.DropColumn(
                name: "local_date",
                table: "digest_runs");

            migrationBuilder.DropColumn(
                name: "time_zone",
                table: "digest_runs");

            migrationBuilder.CreateIndex(
                name: "ix_digest_runs_cadence_period",
                table: "digest_runs",
                columns: new[] { "cadence", "period" },
                unique: true);
        }
    }
}
