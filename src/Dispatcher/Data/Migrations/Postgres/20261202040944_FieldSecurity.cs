using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Dispatcher.Data.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class FieldSecurity : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "failed_logins_since",
                table: "users",
                type: "timestamp with time zone",
                nullable: true);

            migrationBuilder.AddColumn<bool>(
                name: "must_change_password",
                table: "users",
                type: "boolean",
                nullable: false,
                defaultValue: false);

            migrationBuilder.AddColumn<string>(
                name: "introduction",
                table: "lists",
                type: "character varying(5000)",
                maxLength: 5000,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "branding",
                columns: table => new
                {
                    id = table.Column<int>(type: "integer", nullable: false),
                    organisation_name = table.Column<string>(type: "character varying(200)", maxLength: 200, nullable: true),
                    logo_url = table.Column<string>(type: "character varying(2000)", maxLength: 2000, nullable: true),
                    accent_colour = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: true),
                    background_colour = table.Column<string>(type: "character varying(7)", maxLength: 7, nullable: true),
                    footer_markdown = table.Column<string>(type: "character varying(5000)", maxLength: 5000, nullable: true),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_by = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_branding", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "email_texts",
                columns: table => new
                {
                    template = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    block = table.Column<string>(type: "character varying(100)", maxLength: 100, nullable: false),
                    markdown = table.Column<string>(type: "character varying(5000)", maxLength: 5000, nullable: false),
                    updated_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    updated_by = table.Column<string>(type: "character varying(400)", maxLength: 400, nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_email_texts", x => new { x.template, x.block });
                });

            migrationBuilder.CreateIndex(
                name: "ix_audit_action_at",
                table: "audit",
                columns: new[] { "action", "at" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "branding");

            migrationBuilder.DropTable(
                name: "email_texts");

            migrationBuilder.DropIndex(
                name: "ix_audit_action_at",
                table: "audit");

            migrationBuilder.DropColumn(
                name: "failed_logins_since",
                table: "users");

            migrationBuilder.DropColumn(
                name: "must_change_password",
                table: "users");

            migrationBuilder.DropColumn(
                name: "introduction",
                table: "lists");
        }
    }
}
