/work/wt/v2/bt-tsan/obj/tests/lib/simclient.o: \
  /work/wt/v2/tests/lib/simclient.c /work/wt/v2/tests/lib/simclient.h \
  /work/wt/v2/sys/include/vmmctl_dev.h \
  /work/wt/v2/sys/sim/vmmctl_sim_proto.h

/work/wt/v2/tests/lib/simclient.h:

/work/wt/v2/sys/include/vmmctl_dev.h:

/work/wt/v2/sys/sim/vmmctl_sim_proto.h:
