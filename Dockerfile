# One image for every role: Dispatcher:Role=Web, Worker or All.
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY global.json Directory.Build.props Directory.Packages.props ./
COPY src/Dispatcher/Dispatcher.csproj src/Dispatcher/
RUN dotnet restore src/Dispatcher/Dispatcher.csproj
COPY src/ src/
COPY templates/ templates/
RUN dotnet publish src/Dispatcher/Dispatcher.csproj -c Release -o /app --no-restore

FROM mcr.microsoft.com/dotnet/aspnet:10.0
# curl for the container health check (GET /health).
RUN apt-get update && apt-get install -y --no-install-recommends curl && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /app ./
# Templates are read from /app/templates; mount a folder over it to edit them without a rebuild.
ENV ASPNETCORE_URLS=http://0.0.0.0:8080
# The GC sizes its youngest generation from the CPU's cache; a sender allocates fast and keeps little, so 16 MB costs no
# throughput and saves memory under load (docs/adr/0007). Only settable from the environment.
ENV DOTNET_GCgen0size=0x1000000
# The framework's precompiled (ReadyToRun) code is compiled again, optimised, once it is called often — during the first
# alert after a start, on the cores that send it. Without it everything is compiled optimised once, during the warm-up
# before /health says ready: the first alert 0.2 s quicker at a relay 20 ms away, ready 1–4 s later, throughput the
# same (docs/adr/0012). Only settable from the environment.
ENV DOTNET_ReadyToRun=0
EXPOSE 8080
USER app
ENTRYPOINT ["dotnet", "Dispatcher.dll"]
