#!/bin/sh
# Installs the Debian bookworm packages govern needs to build, run and test.
# Usage: scripts/install-deps.sh [build|run|test|bench|fuzz|all]
# Only apt-get is used; nothing is downloaded from elsewhere.
set -eu

profile=${1:-all}

build="nginx nginx-dev libjansson-dev libhiredis-dev libssl-dev
       libexpat1-dev libpcre2-dev zlib1g-dev pkg-config make gcc"
run="$build redis-server python3 python3-jwt python3-cryptography"
test="$run libcmocka-dev python3-pytest python3-jwt python3-requests
      python3-redis python3-cryptography openssl curl procps"
bench="$run wrk util-linux procps python3-jwt python3-cryptography"
fuzz="$test clang"

case "$profile" in
build) want=$build ;;
run) want=$run ;;
test) want=$test ;;
bench) want=$bench ;;
fuzz) want=$fuzz ;;
all) want="$test $bench" ;;
*) echo "usage: $0 [build|run|test|bench|fuzz|all]" >&2; exit 2 ;;
esac

missing=
for p in $(printf '%s\n' $want | sort -u); do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null \
         | grep -q 'install ok installed'
    then
        missing="$missing $p"
    fi
done

[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
    echo "govern: missing Debian packages:$missing" >&2
    echo "govern: run this script as root, or: apt-get install$missing" >&2
    exit 1
fi

echo "govern: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >/dev/null
# The nginx package starts a daemon on port 80; keep it from doing so.
if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
    chmod +x /usr/sbin/policy-rc.d
    trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get install -y -q --no-install-recommends $missing >/dev/null
