/work/wt/v2/bt-tsan/obj/tests/lib/testsim.o: \
  /work/wt/v2/tests/lib/testsim.c /work/wt/v2/tests/lib/testsim.h

/work/wt/v2/tests/lib/testsim.h:
