#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The systemd unit as "make install" writes it, checked by systemd-analyze:
# verify must say nothing at all (it warns about an unknown key or a bad
# value and still exits 0), and the hardening must keep the exposure that
# "systemd-analyze security" computes at or below the threshold.
set -u
here=$(dirname "$(readlink -f "$0")")
# Exposure 5.0 ("OK"), in the tenths --threshold counts in.
threshold=50

echo "TAP version 13"
echo "1..2"
if ! command -v systemd-analyze >/dev/null; then
	echo "ok 1 verify # SKIP systemd-analyze is not installed (Debian package systemd)"
	echo "ok 2 security # SKIP systemd-analyze is not installed (Debian package systemd)"
	exit 4
fi
dir=$(mktemp -d /tmp/uvdpa-unit.XXXXXX)
trap 'rm -rf "$dir"' EXIT
# The uvdpad this test tree was built with sits two levels up (see uvdpad_util.h).
sed "s|@SBINDIR@|$(readlink -f "$here/../..")|" "$here/uvdpad@.service.in" >"$dir/uvdpad@.service"
ln -s uvdpad@.service "$dir/uvdpad@disk0.service"

rc=0
out=$(cd "$dir" && systemd-analyze verify --man=no ./uvdpad@disk0.service 2>&1)
if [ $? -eq 0 ] && [ -z "$out" ]; then
	echo "ok 1 verify"
else
	echo "$out" | sed 's/^/# /'
	echo "not ok 1 verify"
	rc=1
fi
out=$(cd "$dir" && systemd-analyze security --offline=yes --threshold=$threshold \
	./uvdpad@disk0.service 2>&1)
if [ $? -eq 0 ]; then
	echo "# $(echo "$out" | grep 'Overall exposure' | sed 's/\x1b\[[0-9;]*m//g')"
	echo "ok 2 security # exposure at most 5.0"
else
	echo "$out" | grep -v '^✓' | sed 's/^/# /'
	echo "not ok 2 security # exposure above 5.0"
	rc=1
fi
exit $rc
