#!/bin/sh
# netns-up.sh NAME N — a network namespace NAME (10.200.N.0/30, NAT through the default
# route) that reaches only the resolver and the addresses of the Debian mirror and PyPI.
set -eu
NS=${1:-fresh}; N=${2:-0}
OUT=$(ip route show default | awk '{print $5; exit}')
DNS=$(awk '/^nameserver/ {print $2; exit}' /etc/resolv.conf)
ALLOWED=$(getent ahostsv4 deb.debian.org pypi.org files.pythonhosted.org | awk '{print $1}' | sort -u | paste -sd, -)
ip netns add "$NS"
ip link add "vh-$NS" type veth peer name "vc-$NS"
ip link set "vc-$NS" netns "$NS"
ip addr add "10.200.$N.1/30" dev "vh-$NS"
ip link set "vh-$NS" up
ip netns exec "$NS" ip addr add "10.200.$N.2/30" dev "vc-$NS"
ip netns exec "$NS" ip link set "vc-$NS" up
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" ip route add default via "10.200.$N.1"
sysctl -q -w net.ipv4.ip_forward=1
nft -f - <<NFT
table ip $NS {
  chain natpost { type nat hook postrouting priority 100; ip saddr 10.200.$N.0/30 oifname "$OUT" masquerade; }
  chain fwdfilter {
    type filter hook forward priority 0; policy accept;
    iifname "vh-$NS" ip daddr $DNS udp dport 53 accept
    iifname "vh-$NS" ip daddr $DNS tcp dport 53 accept
    iifname "vh-$NS" ip daddr { $ALLOWED } tcp dport { 80, 443 } accept
    iifname "vh-$NS" drop
  }
  chain inpfilter { type filter hook input priority 0; policy accept; iifname "vh-$NS" drop; }
}
NFT
