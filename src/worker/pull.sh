# shellcheck shell=sh
#
# The worker's end of the rsync that brings an in-tree build's files back. pullListArgv
# (src/transfer/rsync.ts) names it as rsync's --rsync-path, so the remote command is
#   sh -c '<this file>' rch LIST --server --sender ...
# where LIST is the build's <copy>.rch-new-<nonce> and the rest is what rsync appends. It runs
# the rsync server, which sends the files LIST names, then removes LIST: the list is gone when the
# pull ends, in the same ssh session, at no extra round trip. A list whose pull never happened
# (rch killed first) is swept by a later build (run.sh, sweep_stale_lists). Exits with rsync's
# status.

list=$1
shift
rsync "$@"
status=$?
rm -f -- "$list"
exit "$status"
