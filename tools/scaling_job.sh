# The body of jobs/scaling_strong.sbatch and jobs/scaling_weak.sbatch (sourced, with SCALING set to
# strong or weak): checks the inputs, runs tools/scaling.py inside the allocation, and says where
# the results are. The variables are documented at the top of the job scripts.
hadal=${HADAL:-build/hadal}
out=${OUT:-out/scaling_${SCALING}_${SLURM_JOB_ID:-local}}
python=${PYTHON:-/usr/bin/python3}
launch=${HADAL_LAUNCH:-srun --mpi=pmix -n \{P\}}
[ "$launch" = mpiexec ] && launch="mpiexec -n {P}"
machine=${MACHINE:-${SLURM_CLUSTER_NAME:-slurm}:${SLURM_JOB_NODELIST:-$(hostname)}}
# Open MPI refuses root unless told (containers, test clusters)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

note() { echo "scaling_$SCALING: $(date '+%F %T') job ${SLURM_JOB_ID:-none}: $*"; }
[ -x "$hadal" ] || { note "error: HADAL='$hadal' is not an executable"; exit 1; }
[ -x "$python" ] || { note "error: PYTHON='$python' is not an executable"; exit 1; }
case "$launch" in *"{P}"*) ;; *) note "error: HADAL_LAUNCH='$launch' has no {P} for the rank count"; exit 1 ;; esac

note "$SCALING scaling of ${ENTRIES:-all job types} on ${SLURM_NTASKS:-?} tasks (${machine}), size ${SIZE:-small}, into $out"
"$python" "$tools/scaling.py" run --hadal "$hadal" --out "$out" --scalings "$SCALING" --size "${SIZE:-small}" \
  --entries "${ENTRIES:-cwola,svdd,sweep,ae,dae,flow}" --ranks "${RANKS:-auto}" --reps "${REPS:-3}" \
  --launcher "$launch" --machine "$machine"
rc=$?
[ "$rc" -eq 0 ] || { note "error: tools/scaling.py failed (exit status $rc); the runs so far are in $out/runs.csv"; exit "$rc"; }
note "finished: $out/scaling.csv, $out/efficiency.png"
