#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Interop with peer TLS: one real etcd member (3.4 or 3.5) started
# with --peer-cert-file, --peer-key-file, --peer-trusted-ca-file,
# --peer-client-cert-auth and --peer-cert-allowed-cn, and one C member
# (rafthttp-node) with the same flags, on https peer URLs. etcd can lead
# only with the C member's vote and commit only with its acks, so the puts
# prove raft traffic crosses TLS both ways. Checks: the puts and a read,
# all four streams up on both sides, and the C member refusing a client
# without a certificate (logged with the failed check).
#
# usage: etcd_tls.sh RAFTHTTP_NODE ETCD ETCDCTL
set -euo pipefail

NODE=${1:?usage: etcd_tls.sh RAFTHTTP_NODE ETCD ETCDCTL}
ETCD=${2:?}
ETCDCTL=${3:?}
. "$(dirname "$0")/lib.sh"

pki=$work/pki
"$(dirname "$0")/../tls/make_certs.sh" "$pki" >/dev/null ||
  fail "cannot make the test PKI"

read -r p_peer p_client p_node < <(free_ports 3)
e_client=http://127.0.0.1:$p_client
cluster="e1=https://127.0.0.1:$p_peer,c1=https://127.0.0.1:$p_node"

# etcd presents member 2's certificate and takes only CN member-1 clients.
"$ETCD" --logger=zap --log-outputs=stderr --name e1 --data-dir "$work/e1" \
  --listen-peer-urls "https://127.0.0.1:$p_peer" \
  --initial-advertise-peer-urls "https://127.0.0.1:$p_peer" \
  --listen-client-urls "$e_client" --advertise-client-urls "$e_client" \
  --initial-cluster "$cluster" --initial-cluster-token rafthttp-tls \
  --initial-cluster-state new \
  --peer-cert-file "$pki/m2.pem" --peer-key-file "$pki/m2.key" \
  --peer-trusted-ca-file "$pki/ca.pem" --peer-client-cert-auth \
  --peer-cert-allowed-cn member-1 >>"$work/e1.log" 2>&1 &
pids+=("$!")

# The C member presents member 1's certificate, takes only CN member-2.
NODE_SCHEME=https start_node c1 "$p_node" "$cluster" rafthttp-tls \
  --duration 60 \
  --peer-cert-file "$pki/m1.pem" --peer-key-file "$pki/m1.key" \
  --peer-trusted-ca-file "$pki/ca.pem" --peer-client-cert-auth \
  --peer-cert-allowed-cn member-2
node_pid_c1=$node_pid

wait_healthy "$e_client"
for i in $(seq 1 200); do
  ctl "$e_client" put "tls-key-$i" "v$i" >/dev/null || fail "put $i"
done
[ "$(ctl "$e_client" get tls-key-200 --print-value-only)" = v200 ] ||
  fail "read tls-key-200"

wait_streams "$work/e1.log" "$(node_member_id c1)"
wait_grep "writers=msgapp,message readers=msgapp,message" "$work/c1.out"

# A client without a certificate gets no answer from the C member.
if curl -s --max-time 5 --cacert "$pki/ca.pem" \
  "https://127.0.0.1:$p_node/raft/probing" >/dev/null; then
  fail "the C member answered a client without a certificate"
fi
wait_grep 'check="no client certificate"' "$work/c1.log"

kill "$node_pid_c1"
wait "$node_pid_c1" || fail "rafthttp-node exited with status $?"
echo "etcd_tls: 200 keys through etcd $ETCD_VERSION with a C member over mutual TLS: ok"
