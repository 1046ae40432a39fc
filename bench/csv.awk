# The CSV reader of the bench/ scripts (the files `seqnn bench --csv` writes):
# csv(line) splits a line into the global array f[1..] and returns the count.
# Quoted fields may hold commas; "" inside quotes is one quote.
# Used by bench/tables.sh and bench/plot.sh, which put it before their program.
function csv(line,   i, ch, q, cur, k) {
    k = 0; cur = ""; q = 0
    for (i = 1; i <= length(line); i++) {
        ch = substr(line, i, 1)
        if (q) {
            if (ch == "\"") { if (substr(line, i + 1, 1) == "\"") { cur = cur ch; i++ } else q = 0 }
            else cur = cur ch
        } else if (ch == "\"") q = 1
        else if (ch == ",") { f[++k] = cur; cur = "" }
        else cur = cur ch
    }
    f[++k] = cur
    return k
}
