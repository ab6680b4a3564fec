#!/bin/sh
# Installs the Debian 12 packages immpd needs to build and test.  As root
# it runs apt-get; otherwise it prints the exact command to run.
PKGS="build-essential pkg-config byacc libtls-dev libevent-dev libdb-dev
libbsd-dev libsodium-dev libseccomp-dev zlib1g-dev libjansson-dev
libcmocka-dev python3 python3-pytest openssl mandoc
libc-ares-dev libssl-dev
libgmime-3.0-dev
clang-14 libclang-rt-14-dev mblaze"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "immpd needs these Debian packages; run as root:" >&2
	echo "  apt-get install -y$missing" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq $missing
