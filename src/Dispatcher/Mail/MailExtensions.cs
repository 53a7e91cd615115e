using Dispatcher.Hosting;
using Dispatcher.Mail.Branding;
using Dispatcher.Mail.Capture;
using Dispatcher.Mail.Dkim;
using Dispatcher.Mail.Templates;
using Microsoft.Extensions.Options;

namespace Dispatcher.Mail;

public static class MailExtensions
{
    /// <summary>Rendering, message building, the SMTP pool, and (Smtp:Host empty) the capture mailbox.</summary>
    public static WebApplicationBuilder AddMail(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddOptions<SmtpOptions>().BindConfiguration(SmtpOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.AlertConnections < o.MaxConnections, "Smtp:AlertConnections must be less than Smtp:MaxConnections.")
            .ValidateOnStart();
        services.AddSingleton(SmtpOptions.Check);
        services.AddOptions<MailOptions>().BindConfiguration(MailOptions.Section).ValidateDataAnnotations()
            .Validate(o => o.HasValidBounceAddress, "Mail:BounceAddress must not contain '+' when Mail:Verp is on: Dispatcher adds +<delivery>.<tag> to it.")
            .ValidateOnStart();
        builder.AddDkim();
        services.AddOptions<MailboxOptions>().BindConfiguration(MailboxOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        services.AddOptions<TemplateOptions>().BindConfiguration(TemplateOptions.Section).ValidateDataAnnotations()
            .Validate(o => Directory.Exists(ContentPaths.ResolveExisting(o.Path)), "Templates:Path must be a folder of email templates.")
            .ValidateOnStart();

        services.AddSingleton(sp =>
        {
            var templates = sp.GetRequiredService<IOptions<TemplateOptions>>().Value;
            return new TemplateSource(ContentPaths.ResolveExisting(templates.Path), templates.AllowCodeEditing ? sp.GetRequiredService<IServiceScopeFactory>() : null);
        });
        services.AddSingleton(sp => new BrandingSource(sp.GetRequiredService<IServiceScopeFactory>(), sp.GetRequiredService<IOptions<MailOptions>>().Value.FromName));
        services.AddScoped<BrandingStore>();
        services.AddSingleton(sp => new EmailRenderer(sp.GetRequiredService<TemplateSource>(), sp.GetRequiredService<BrandingSource>()));
        services.AddSingleton(sp => new MessageFactory(sp.GetRequiredService<IOptions<MailOptions>>().Value, sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<DkimKey>().Signer));
        services.AddSingleton<SigningKey>();
        services.AddSingleton(sp => new ReturnPaths(sp.GetRequiredService<SigningKey>(), sp.GetRequiredService<IOptions<MailOptions>>().Value));
        services.AddSingleton<PublicUrls>();
        services.AddSingleton<RelaySet>();
        services.AddSingleton<RelayConnections>();
        services.AddSingleton<UrgentMessages>();

        // The capture mailbox belongs to the process that sends: the single-process default, or a Worker.
        var usesCapture = string.IsNullOrWhiteSpace(builder.Configuration[$"{SmtpOptions.Section}:Host"])
                          && !builder.Configuration.GetSection($"{SmtpOptions.Section}:Relays").GetChildren().Any()
                          && builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All) != HostRole.Web;
        services.AddSingleton(sp => new CapturedMessages(sp.GetRequiredService<IOptions<MailboxOptions>>().Value.Capacity));
        // Not on a Worker: a Web process renders statements and alerts (kept with their dispatch), so a worker compiles a
        // template only for a digest or a confirmation, when the first one comes, and most never load the compiler.
        var role = builder.Configuration.GetValue($"{DispatcherOptions.Section}:Role", HostRole.All);
        if (role != HostRole.Worker)
            services.AddSingleton<IWarmUpStep, TemplateWarmUp>();
        services.AddCodeWarmUp(typeof(MessageFactory).Namespace!);
        if (usesCapture)
        {
            services.AddSingleton<CaptureMailbox>();
            services.AddHostedService(sp => sp.GetRequiredService<CaptureMailbox>());
        }
        // The processes that send open the alert lane's connections at start.
        if (role != HostRole.Web)
        {
            services.AddSingleton<IWarmUpStep, AlertLaneWarmUp>();
            services.AddSingleton<RelayLimitMemory>();
            services.AddSingleton<IWarmUpStep>(sp => sp.GetRequiredService<RelayLimitMemory>());
            services.AddHostedService(sp => sp.GetRequiredService<RelayLimitMemory>());
        }
        return builder;
    }
}
