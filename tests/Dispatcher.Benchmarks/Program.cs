using Dispatcher.Benchmarks;

// tests/bench.sh starts PostgreSQL and RabbitMQ, builds the app in Release and runs this with:
//   fanout [--subscribers N] [--stacks inmemory,rabbitmq] [--workers 0,1,2]
//        statement fan-out into postfix's smtp-sink, vs smtp-source → smtp-sink; on RabbitMQ, 0 = one process, N = web + N workers
//   import [--rows N]                                         CSV import through the API: seconds and peak memory
//   digest [--subscribers N]                                  a daily digest of 10 statements to N people: msg/s and peak memory
//   smtp [--subscribers N]                                    MessageFactory + MailKit alone into smtp-sink: the sending path without the system
//   alert [--subscribers N] [--bulk M]                        send → first/last alert accepted, alone and with an M-person send in flight
var options = BenchOptions.Parse(args);
var results = new List<BenchResult>();
foreach (var scenario in options.Scenarios)
    results.AddRange(scenario switch
    {
        "fanout" => await FanOut.RunAsync(options),
        "import" => await Import.RunAsync(options),
        "alert" => await AlertLatency.RunAsync(options),
        "digest" => await Digest.RunAsync(options),
        "smtp" => await SmtpOnly.RunAsync(options),
        _ => throw new ArgumentException($"Unknown scenario '{scenario}'. Known: fanout, import, alert, digest, smtp."),
    });

Console.WriteLine();
Console.WriteLine(BenchResult.Table(results));
Console.WriteLine($"Machine: {Machine.Describe()}");
