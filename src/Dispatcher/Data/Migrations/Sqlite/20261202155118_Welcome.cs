using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Welcome : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "welcomed_at",
                table: "subscriptions",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "welcome_markdown",
                table: "lists",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "welcome_subject",
                table: "lists",
                type: "TEXT",
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "welcomed_at",
                table: "subscriptions");

            migrationBuilder.DropColumn(
                name: "welcome_markdown",
                table: "lists");

            migrationBuilder.DropColumn(
                name: "welcome_subject",
                table: "lists");
        }
    }
}
