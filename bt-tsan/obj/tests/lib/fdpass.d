/work/wt/v2/bt-tsan/obj/tests/lib/fdpass.o: \
  /work/wt/v2/tests/lib/fdpass.c /work/wt/v2/tests/lib/fdpass.h

/work/wt/v2/tests/lib/fdpass.h:
