# SPDX-License-Identifier: GPL-2.0
# Plot a tools/bench/blk-vm result file: IOPS of uvdpad, the ublk server,
# qemu-storage-daemon and null_blk per workload, and the daemons' cost per I/O
# (instructions in deterministic mode, microseconds on the wall clock).
#
#   gnuplot -e "in='docs/bench/blk-DATE-det.txt'; out='docs/bench/blk-DATE-det.png'" \
#           tools/bench/blk-plot.gp
#
# blk-vm starts every line that is not a data row with '#', gnuplot's comment
# character, so the result file is read as it is; "-" is a missing value.
# Columns: 1 workload, 2-5 IOPS (uvdpad, ublk, qsd, null_blk), 6-7 ratios,
# 8-10 daemon cost per I/O (uvdpad, ublk, qsd).
if (!exists("in")) { print "give -e \"in='FILE'\""; exit status 2 }
if (!exists("out")) { out = "blk.png" }
det = system("grep -q '^# .*mode det' '".in."'; echo $?") eq "0"

set terminal pngcairo size 1400,550 font ",10"
set output out
set datafile missing "-"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside bottom center horizontal
set xtics noenhanced rotate by -30
set yrange [0:*]
set multiplot layout 1,2 title (det ? \
	"fio in the test VM, deterministic (QEMU TCG -icount: guest time = instructions)" : \
	"fio in the test VM, wall clock (QEMU TCG, one thread for 2 vCPUs, medians)")

set title "IOPS (higher is better)"
plot in using 2:xtic(1) title "uvdpad" lc rgb "#1f77b4", \
     '' using 3 title "ublk (kublk)" lc rgb "#2ca02c", \
     '' using 4 title "qemu-storage-daemon" lc rgb "#ff7f0e", \
     '' using 5 title "null\\_blk (kernel)" lc rgb "#7f7f7f"

set title (det ? "daemon instructions per I/O (lower is better)" : \
	"daemon CPU time per I/O, us (lower is better)")
plot in using 8:xtic(1) title "uvdpad" lc rgb "#1f77b4", \
     '' using 9 title "ublk (kublk)" lc rgb "#2ca02c", \
     '' using 10 title "qemu-storage-daemon" lc rgb "#ff7f0e"

unset multiplot
