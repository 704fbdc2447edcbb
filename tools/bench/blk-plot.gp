# SPDX-License-Identifier: GPL-2.0
# Plot a tools/bench/blk-vm result file: IOPS of uvdpad, qemu-storage-daemon
# and null_blk per workload, and the daemons' CPU time per I/O.
#
#   gnuplot -e "in='docs/bench/blk-DATE.txt'; out='docs/bench/blk-DATE.png'" \
#           tools/bench/blk-plot.gp
#
# blk-vm starts every line that is not a data row with '#', gnuplot's comment
# character, so the result file is read as it is. Columns: 1 workload,
# 2-4 IOPS (uvdpad, qsd, null_blk), 5-7 ratios, 8-9 CPU us per I/O.
if (!exists("in")) { print "give -e \"in='FILE'\""; exit status 2 }
if (!exists("out")) { out = "blk.png" }

set terminal pngcairo size 1200,500 font ",10"
set output out
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set grid ytics
set key outside bottom center horizontal
set xtics noenhanced
set xrange [-0.6:3.6]	# the four workloads of blk-vm
set yrange [0:*]
set multiplot layout 1,2 title "fio 4k randread in the test VM (QEMU TCG, 2 vCPUs, medians)"

set title "IOPS (higher is better)"
plot in using 2:xtic(1) title "uvdpad" lc rgb "#1f77b4", \
     '' using 3 title "qemu-storage-daemon" lc rgb "#ff7f0e", \
     '' using 4 title "null\\_blk (kernel)" lc rgb "#7f7f7f"

set title "daemon CPU time per I/O, us (lower is better)"
plot in using 8:xtic(1) title "uvdpad" lc rgb "#1f77b4", \
     '' using 9 title "qemu-storage-daemon" lc rgb "#ff7f0e"

unset multiplot
