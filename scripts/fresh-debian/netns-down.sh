#!/bin/sh
# netns-down.sh NAME — remove what netns-up.sh NAME made.
NS=${1:-fresh}
nft delete table ip "$NS" 2>/dev/null
ip link del "vh-$NS" 2>/dev/null
ip netns del "$NS" 2>/dev/null
[ -z "$(ip netns list)" ] && sysctl -q -w net.ipv4.ip_forward=0
true
