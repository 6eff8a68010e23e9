#!/usr/bin/env bash
# A one-node SLURM cluster on this machine, for `make test-slurm`: slurmctld and slurmd on
# localhost, every core and most of the memory of this machine, munge for authentication, and
# job accounting (slurmdbd on a private MariaDB), so that `sacct` lists the run's jobs.
#
#   profiles/slurm/local-cluster/start.sh STATE_DIR
#
# Installs what is missing (Debian: slurm-wlm, slurmdbd, munge, mariadb-server; needs root and
# apt), writes STATE_DIR/slurm.conf and slurmdbd.conf, starts munged, mariadbd, slurmdbd,
# slurmctld and slurmd with their state, logs and pid files under STATE_DIR, and waits until `sinfo` shows the node idle. Prints the line
# `export SLURM_CONF=...` for the caller. stop.sh STATE_DIR stops exactly these daemons.
set -euo pipefail
STATE=$(realpath -m "${1:?usage: start.sh STATE_DIR}")
mkdir -p "$STATE"/{spool/ctld,spool/d,log,munge}

PACKAGES="slurm-wlm slurmdbd munge mariadb-server"
if ! command -v slurmctld >/dev/null || ! command -v slurmdbd >/dev/null || ! command -v munged >/dev/null \
        || ! command -v mariadbd >/dev/null; then
    if ! command -v apt-get >/dev/null; then
        echo "start.sh: SLURM, munge or MariaDB missing and no apt-get to install them" >&2; exit 3
    fi
    echo "installing $PACKAGES (apt)"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $PACKAGES; } >"$STATE/log/apt.log" 2>&1 \
        || { echo "start.sh: apt-get install $PACKAGES failed (see $STATE/log/apt.log)" >&2; exit 3; }
fi

HOST=$(hostname -s)
CPUS=$(nproc --all)  # --all: the machine's CPUs (plain nproc honours OMP_NUM_THREADS, which make sets to 1)
# memory SLURM may hand out: 90 % of this machine's (MB)
MEM=$(awk '/MemTotal/ {printf "%d", $2 / 1024 * 0.9}' /proc/meminfo)

cat > "$STATE/slurm.conf" <<CONF
# Written by profiles/slurm/local-cluster/start.sh: one node, this machine.
ClusterName=local
SlurmctldHost=$HOST
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$STATE/spool/ctld
SlurmdSpoolDir=$STATE/spool/d
SlurmctldPidFile=$STATE/slurmctld.pid
SlurmdPidFile=$STATE/slurmd.pid
SlurmctldLogFile=$STATE/log/slurmctld.log
SlurmdLogFile=$STATE/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# job accounting through slurmdbd: sacct lists every job of the run, with what it asked for
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
AccountingStoragePort=16819
JobAcctGatherType=jobacct_gather/linux
JobAcctGatherFrequency=5
JobCompType=jobcomp/none
AccountingStoreFlags=job_comment
# job time limits are enforced (the test kills a job through its limit)
OverTimeLimit=0
KillWait=5
NodeName=$HOST CPUs=$CPUS RealMemory=$MEM State=UNKNOWN
PartitionName=local Nodes=$HOST Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF="$STATE/slurm.conf"
# Job steps (srun inside a job, as the executor plugin starts them) look for /etc/slurm/slurm.conf
# whatever SLURM_CONF said at submission: point it here if the machine has none (stop.sh removes it).
if [ ! -e /etc/slurm/slurm.conf ]; then
    mkdir -p /etc/slurm
    ln -s "$SLURM_CONF" /etc/slurm/slurm.conf
    echo /etc/slurm/slurm.conf > "$STATE/created-links"
fi
# munge: its own key and socket under STATE, so a system munged (if any) is left alone
if [ ! -f "$STATE/munge/munge.key" ]; then
    dd if=/dev/urandom of="$STATE/munge/munge.key" bs=1024 count=1 status=none
    chmod 400 "$STATE/munge/munge.key"
fi
SOCKET=/run/munge/munge.socket.2
mkdir -p /run/munge
munged --force --key-file="$STATE/munge/munge.key" --pid-file="$STATE/munged.pid" \
       --log-file="$STATE/log/munged.log" --seed-file="$STATE/munge/munge.seed" --socket="$SOCKET"

# MariaDB for the accounting: a private data directory, no network (the default socket, which
# slurmdbd's client library uses for "localhost")
DB_SOCKET=/run/mysqld/mysqld.sock
mkdir -p /run/mysqld
if [ ! -d "$STATE/mysql/mysql" ]; then
    mariadb-install-db --datadir="$STATE/mysql" --user=root --auth-root-authentication-method=socket \
        >"$STATE/log/mariadb-install.log" 2>&1
fi
mariadbd --datadir="$STATE/mysql" --socket="$DB_SOCKET" --pid-file="$STATE/mariadb.pid" --skip-networking \
    --user=root --log-error="$STATE/log/mariadb.log" >"$STATE/log/mariadb.out" 2>&1 &
for _ in $(seq 60); do mariadb -S "$DB_SOCKET" -e "select 1" >/dev/null 2>&1 && break; sleep 0.5; done
mariadb -S "$DB_SOCKET" -e "CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY 'slurm';
    GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"

cat > "$STATE/slurmdbd.conf" <<CONF
# Written by profiles/slurm/local-cluster/start.sh
AuthType=auth/munge
DbdHost=localhost
DbdPort=16819
SlurmUser=root
PidFile=$STATE/slurmdbd.pid
LogFile=$STATE/log/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
CONF
chmod 600 "$STATE/slurmdbd.conf"
slurmdbd   # reads slurmdbd.conf beside $SLURM_CONF
for _ in $(seq 60); do sacctmgr -n show cluster >/dev/null 2>&1 && break; sleep 0.5; done
sacctmgr -i add cluster local >/dev/null 2>&1 || true

slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"

for _ in $(seq 60); do
    if sinfo -h -N -o "%t" 2>/dev/null | grep -qx "idle"; then
        echo "export SLURM_CONF=$SLURM_CONF"
        exit 0
    fi
    sleep 1
done
echo "start.sh: node not idle after 60 s:" >&2
sinfo -N >&2 || true
tail -20 "$STATE/log/slurmctld.log" "$STATE/log/slurmd.log" >&2 || true
exit 4
