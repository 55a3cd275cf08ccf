# plot.gnuplot: server CPU per relayed message against the number of clients.
#   gnuplot -e "data='relay.dat'; out='performance.png'; rate='20000'" plot.gnuplot
# relay.dat columns: clients, causerie, ngircd, forwarder (server µs/msg; "?" = none).
set terminal pngcairo size 900,580 font "sans,11"
set output out
set title sprintf("Server CPU per relayed message, open loop at %s msg/s (TLS 1.3, loopback, pinned)", rate)
set xlabel "clients (pairs = clients / 2)"
set ylabel "server CPU, µs per message"
set logscale x
set xrange [70:3000]
set yrange [0:*]
set grid xtics ytics mxtics lc rgb "#dddddd"
set key below box
set datafile missing "?"
plot data using 1:2 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "causerie (durable, acknowledged, sealed twice)", \
     data using 1:3 with linespoints lw 2 pt 5 lc rgb "#d62728" title "ngIRCd (PRIVMSG)", \
     data using 1:4 with linespoints lw 1 dt 2 pt 9 lc rgb "#7f7f7f" title "transport floor (GnuTLS forwarder, fixed ack)"
