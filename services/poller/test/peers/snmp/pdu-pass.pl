#!/usr/bin/perl
# net-snmp "pass" handler emulating APC PowerNet-MIB rPDU objects for tests, adapted
# from the reference recipe. snmpd calls:  pdu-pass.pl -g OID (GET) | -n OID (GETNEXT)
# and expects 3 lines on stdout: OID, type, value (nothing = no such object).
# Values come from files in $PDU_SIM_DIR that the test rewrites between polls.
use strict; use warnings;
my $dir = $ENV{PDU_SIM_DIR} or exit 0;
sub readval { my ($f, $d) = @_; open(my $h, '<', "$dir/$f") or return $d;
              my $v = <$h>; chomp $v; return $v eq '' ? $d : $v }
my $base = '.1.3.6.1.4.1.318.1.1.12';
my %tab = (
  "$base.1.1.0"  => ['string',  readval('name', 'test-pdu')],   # rPDUIdentName.0
  "$base.1.16.0" => ['integer', readval('watts', 1234)],        # rPDUIdentDevicePowerWatts.0 (W)
);
for my $phase (1 .. 3) {                                         # rPDULoadStatusLoad.N (0.1 A)
  my $v = readval("phase_$phase", ''); $tab{"$base.2.3.1.1.2.$phase"} = ['gauge', $v] if $v ne '';
}
for my $outlet (1 .. 8) {                                        # rPDUOutletStatusLoad.N (0.1 A)
  my $v = readval("outlet_$outlet", ''); $tab{"$base.3.5.1.1.7.$outlet"} = ['gauge', $v] if $v ne '';
}
sub cmp_oid { my @a = split /\./, substr($_[0],1); my @b = split /\./, substr($_[1],1);
  for my $i (0 .. ($#a < $#b ? $#a : $#b)) { return $a[$i] <=> $b[$i] if $a[$i] != $b[$i] }
  return @a <=> @b }
my ($op, $oid) = @ARGV; exit 0 unless defined $oid;
$oid = ".$oid" unless $oid =~ /^\./;
my $hit;
if ($op eq '-g') { $hit = $oid if exists $tab{$oid} }
elsif ($op eq '-n') { ($hit) = grep { cmp_oid($_, $oid) > 0 } sort { cmp_oid($a, $b) } keys %tab }
if (defined $hit) { print "$hit\n$tab{$hit}[0]\n$tab{$hit}[1]\n" }
exit 0;
