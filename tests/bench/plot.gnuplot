# plot.gnuplot: relay throughput against the number of clients (run-bench).
#   gnuplot -e "data='relay.dat'; out='performance.png'" plot.gnuplot
# relay.dat columns: clients, causerie, ngircd, echo (messages/s; "?" = none).
set terminal pngcairo size 900,580 font "sans,11"
set output out
set title "Direct-message relay over TLS 1.3 on loopback (128-byte messages, window 32)"
set xlabel "clients (pairs = clients / 2)"
set ylabel "messages relayed per second"
set logscale x
set logscale y
set format y "%.0s%c"
set grid xtics ytics mxtics mytics lc rgb "#dddddd"
set key below box
set datafile missing "?"
plot data using 1:2 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "causerie (durable, acknowledged)", \
     data using 1:3 with linespoints lw 2 pt 5 lc rgb "#d62728" title "ngIRCd 26.1 (PRIVMSG)", \
     data using 1:4 with linespoints lw 1 dt 2 pt 9 lc rgb "#7f7f7f" title "TLS echo ceiling (same size)"
