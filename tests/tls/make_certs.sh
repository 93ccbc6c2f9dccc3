#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Makes a test PKI in DIR with openssl, at test time (no key is committed):
#   ca.pem ca.key          the trusted CA
#   ca2.pem ca2.key        another CA, trusted by nobody
#   m<N>.pem m<N>.key      member N (1, 2, 3): CN member-<N>, SANs
#                          127.0.0.1, ::1, localhost and
#                          urn:rafthttp:member:<N>; server and client use
#   m1b.pem m1b.key        member 1 again, newer (for reload tests)
#   other.pem other.key    member 1's names, signed by ca2
#   expired.pem .key       member 1's names, signed by ca, expired in 2020
#   intruder.pem .key      CN intruder, signed by ca, no member URI
#   farip.pem .key         member 1, but its only SAN is IP 10.9.9.9
# usage: make_certs.sh DIR
set -euo pipefail
dir=$1
mkdir -p "$dir"
cd "$dir"

ext() { # NAME [URI]
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    if [ "$1" = farip ]; then
      echo "subjectAltName=IP:10.9.9.9,URI:$2"
    elif [ -n "${2:-}" ]; then
      echo "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,URI:$2"
    else
      echo "subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost"
    fi
  } >"$1.ext"
}

ca() { # NAME
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.pem" -days 30 -subj "/CN=rafthttp test $1" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

leaf() { # NAME CN CA [URI]
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  ext "$1" "${4:-}"
  openssl x509 -req -in "$1.csr" -CA "$3.pem" -CAkey "$3.key" \
    -CAcreateserial -days 30 -extfile "$1.ext" -out "$1.pem" 2>/dev/null
}

ca ca
ca ca2
for n in 1 2 3; do
  leaf "m$n" "member-$n" ca "urn:rafthttp:member:$n"
done
leaf m1b member-1 ca urn:rafthttp:member:1
leaf other member-1 ca2 urn:rafthttp:member:1
leaf intruder intruder ca
leaf farip member-1 ca urn:rafthttp:member:1

# Expired: openssl ca takes explicit dates.
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
  -keyout expired.key -out expired.csr -subj "/CN=member-1" 2>/dev/null
ext expired urn:rafthttp:member:1
mkdir -p ca-db
: >ca-db/index.txt
echo 1000 >ca-db/serial
cat >ca-db/ca.cnf <<CNF
[ca]
default_ca = test
[test]
database = ca-db/index.txt
serial = ca-db/serial
new_certs_dir = ca-db
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
CNF
openssl ca -batch -config ca-db/ca.cnf -cert ca.pem -keyfile ca.key \
  -in expired.csr -out expired.pem -startdate 20200101000000Z \
  -enddate 20200102000000Z -extfile expired.ext -notext 2>/dev/null
rm -f ./*.csr ./*.ext
echo "test PKI in $dir"
