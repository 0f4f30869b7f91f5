# Sourced by the scripts: lets Open MPI run as root (CI and containers) and oversubscribe the
# cores (tests start more ranks than this machine has).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
