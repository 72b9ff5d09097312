# Debian's /usr/bin/rtsp-server-perl (RTSP::Server 0.06) with the mends the camera
# simulator needs (nigrani.stations.simulator starts it; its options pass through).
#
# Environment: NIGRANI_RTP_START_PORT and NIGRANI_RTP_SPAN, the UDP ports the server may
# hand out for RTP and RTCP; NIGRANI_HOST, the address they are bound on.
use strict;
use warnings;
use AnyEvent;
use IO::Socket::INET;
use RTSP::Server;
use RTSP::Server::Mount::Stream;
use RTSP::Server::RTPListener;
use RTSP::Server::Source::Connection;

my ($low, $span, $host) = @ENV{qw(NIGRANI_RTP_START_PORT NIGRANI_RTP_SPAN NIGRANI_HOST)};

# The package variable is where the server goes back to whenever no mount is left; left
# at 20000 it ignores --rtp_start_port, and two servers on one machine share ports.
$RTSP::Server::RTP_START_PORT = $low;

no warnings 'redefine';

# Every SETUP, a reader's as well as a publisher's, takes the next pair of ports, and the
# server only went back to its base when nothing was mounted: a rig that lives for a whole
# test session walked out of its span into ports others had bound, where a publisher's
# listener cannot bind and its RECORD is answered 404 (CI: three cameras refused for 30 s).
# The pairs now go round the span and skip any port that is bound.
my $next = $low;
my $free = sub {
    my ($port) = @_;
    my $probe = IO::Socket::INET->new(Proto => 'udp', LocalAddr => $host, LocalPort => $port);
    return $probe ? 1 : 0;
};
*RTSP::Server::next_rtp_start_port = sub {
    my $port = $next;
    for (1 .. $span / 2) {
        $port = $next;
        $next = $next + 2 < $low + $span ? $next + 2 : $low;
        last if $free->($port) && $free->($port + 1);
    }
    return $port;
};

# A publisher that dies without a TEARDOWN (SIGKILL, a crash) kept its RTP listeners bound
# for as long as the server lived (each listener's watcher holds the listener), and the
# simulator's own TEARDOWN on a new connection unmounted the path but could not reach them.
# Unmounting a path now closes every listener of that path.
my %listeners;    # mount path => the RTP listeners publishing to it
my $listen = \&RTSP::Server::RTPListener::listen;
*RTSP::Server::RTPListener::listen = sub {
    my ($listener) = @_;
    push @{ $listeners{ $listener->mount->path } }, $listener;
    return $listen->(@_);
};
my $unmount = \&RTSP::Server::Source::Connection::unmount;
*RTSP::Server::Source::Connection::unmount = sub {
    my ($self, $path) = @_;
    $path ||= $self->get_mount_path or return;
    for my $listener (@{ delete $listeners{$path} || [] }) {
        $listener->close;
        CORE::close($listener->socket) if $listener->socket;
        $listener->socket(undef);
    }
    return $unmount->($self, $path);
};

# A reader that hangs up without a TEARDOWN (killed, or timed out) stops getting packets:
# the server forgot the TCP connection but kept sending RTP to the reader's UDP ports for
# as long as the stream lived, so a later reader anywhere on the machine that bound those
# ports got another stream's packets mixed into its own (CI: a main-stream recording with
# the sub-stream's 384x288 frames in it).
my $broadcast = \&RTSP::Server::Mount::Stream::broadcast;
*RTSP::Server::Mount::Stream::broadcast = sub {
    my ($stream) = @_;
    for my $client ($stream->clients) {
        next if exists $client->server->client_server->connections->{ $client->id };
        $stream->remove_client($client);
        eval { $client->finish };
    }
    goto &$broadcast;
};

use warnings 'redefine';

my $server = RTSP::Server->new_with_options;
$server->listen;
AnyEvent->condvar->recv;
