#!/bin/sh
# A day's work with salespipe, command by command. It works on its own data file:
# SALESPIPE_DB if you set it (use a scratch file!), else a new file in a temp folder.
#   sh examples/walkthrough.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
if [ -z "${SALESPIPE_DB:-}" ]; then
    SALESPIPE_DB="$(mktemp -d)/walkthrough.json"
fi
export SALESPIPE_DB
salespipe=${SALESPIPE:-salespipe}

step() {
    line='$ salespipe'
    for arg in "$@"; do
        case $arg in
        *' '*) line="$line \"$arg\"" ;;
        *) line="$line $arg" ;;
        esac
    done
    printf '\n%s\n' "$line"
    "$salespipe" "$@"
}

echo "Working on $SALESPIPE_DB"

# Morning: set up once, bring in the deals from the old spreadsheet, see what needs doing.
step init --lang th --currency THB
step import "$here/import/deals.csv"
step list
step check || [ $? -eq 3 ] # exit 3 means "something to act on": that is what it is for

# A new lead from this morning's call.
id=$("$salespipe" add "Cold room" --customer "Lanna Foods" --contact "Khun Malee" \
    --value 480k --close +30d --next "Send the brochure" --due +1d -q)
echo "New deal $id"
step note "$id" "Called Khun Malee: needs a 40 m² cold room by March"

# The ERP deal moves on: they asked for a discount, so it goes to negotiation and a
# revised quotation goes out.
step move 1 เจรจา --reason "They asked for a 5% discount"
step quote 1 --amount 1.45m --valid-until +14d --note "5% discount, training included"
step next 1 "Negotiation meeting" --due +2d

# Good news and bad news.
step won 5 --reason "PO received"
step lost 2 --reason "Chose a cheaper supplier"

# A slip of the finger, and its fix.
step move 3 approved
step undo

# End of the day: the pipeline, the week's numbers, and a backup.
step list
step chart
step report --since -1w
step export --format json -o "$(dirname "$SALESPIPE_DB")/backup.json"
