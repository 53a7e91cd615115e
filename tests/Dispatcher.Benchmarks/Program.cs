using Dispatcher.Benchmarks;

// tests/bench.sh starts PostgreSQL and RabbitMQ, builds the app in Release and runs this with:
//   fanout [--subscribers N] [--stacks inmemory,rabbitmq] [--workers 0,1,2]
//        statement fan-out into postfix's smtp-sink, vs smtp-source → smtp-sink; on RabbitMQ, 0 = one process, N = web + N workers
//   import [--rows N]                                         CSV import through the API: seconds and peak memory
//   digest [--subscribers N]                                  a daily digest of 10 statements to N people: msg/s and peak memory
//   smtp [--subscribers N] [--rtt MS] [--connections C]       MessageFactory + Dispatcher's SMTP (and MailKit) alone into smtp-sink: the sending path without the system
//   alert [--subscribers N] [--bulk M]                        send → first/last alert accepted, alone and with an M-person send in flight
//   relay [--rtt MS] [--connections C] [--subscribers N] [--bulk M]
//        the relay across a network (latency proxy, default 20 ms) and a real Postfix (STARTTLS, CHUNKING): alerts cold,
//        warm and with an M-person statement in flight; the M-person statement against connections ÷ round trip
//   failover [--rtt MS] [--connections C] [--subscribers N]
//        web + 2 workers, relay 20 ms away: a worker killed at 30 % of an alert, then the urgent queue's leader node of a
//        3-node RabbitMQ cluster: seconds from the kill to the last message
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
        "relay" => await RelayField.RunAsync(options),
        "failover" => await Failover.RunAsync(options),
        _ => throw new ArgumentException($"Unknown scenario '{scenario}'. Known: fanout, import, alert, digest, smtp, relay, failover."),
    });

Console.WriteLine();
Console.WriteLine(BenchResult.Table(results));
Console.WriteLine($"Machine: {Machine.Describe()}");
