using System.Net;
using Dispatcher.Hosting;

namespace Dispatcher.Tests.Security;

public sealed class PublicNetworksTests
{
    [Theory]
    [InlineData("127.0.0.1")]        // loopback
    [InlineData("127.8.9.10")]
    [InlineData("10.1.2.3")]         // RFC 1918
    [InlineData("172.16.0.1")]
    [InlineData("172.31.255.255")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]  // link-local: the cloud metadata service
    [InlineData("100.64.0.1")]       // CGNAT
    [InlineData("100.100.100.200")]  // a cloud's metadata, inside CGNAT
    [InlineData("0.0.0.0")]
    [InlineData("224.0.0.251")]      // multicast
    [InlineData("255.255.255.255")]
    [InlineData("198.18.0.1")]       // benchmarking
    [InlineData("::1")]
    [InlineData("::")]
    [InlineData("fd00:ec2::254")]    // RFC 4193 (a cloud's metadata over IPv6)
    [InlineData("fc00::1")]
    [InlineData("fe80::1")]          // link-local
    [InlineData("ff02::1")]          // multicast
    [InlineData("::ffff:127.0.0.1")] // IPv4-mapped loopback
    [InlineData("::ffff:10.0.0.1")]
    [InlineData("64:ff9b::a9fe:a9fe")] // NAT64 of 169.254.169.254
    [InlineData("2002:7f00:1::")]    // 6to4 of 127.0.0.1
    [InlineData("2001:db8::1")]      // documentation
    public void Addresses_off_the_public_internet_are_refused(string address) =>
        Assert.False(PublicNetworks.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.215.14")]
    [InlineData("8.8.8.8")]
    [InlineData("172.32.0.1")]        // just outside 172.16.0.0/12
    [InlineData("2606:4700:4700::1111")]
    [InlineData("::ffff:93.184.215.14")]
    [InlineData("2002:5db8:d70e::")]  // 6to4 of a public address
    public void Public_addresses_are_allowed(string address) =>
        Assert.True(PublicNetworks.IsPublic(IPAddress.Parse(address)));
}
