/* Empty: cffi knows the standard types; see tools/gen_cdef.py. */
