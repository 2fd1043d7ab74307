#!/usr/bin/python3
# make-npy.py: writes the small golden .npy files of tests/unit/test-npy.c
# with NumPy itself (run by hand from this directory; make check does not
# need Python). Synthetic ids only, never real MIND or IM-MIND data.
import numpy as np

# a 1-D '<U7' array like the IM-MIND image list, with a non-ASCII item
np.save("ids-u7.npy", np.array(["N1", "N22", "N333", "N130379", "Nä€😀"], dtype="<U7"))
# a 2-D float32 array, C order, 3 x 4
np.save("f32-3x4.npy", (np.arange(12, dtype=np.float32) / 4 - 1).reshape(3, 4))
# the same array in Fortran order (must be refused)
np.save("f32-fortran.npy", np.asfortranarray((np.arange(12, dtype=np.float32)).reshape(3, 4)))
# float64 (must be refused by the float32 reader)
np.save("f64-2x2.npy", np.ones((2, 2), dtype=np.float64))
# format version 2.0 header
with open("ids-v2.npy", "wb") as f:
    np.lib.format.write_array(f, np.array(["N5", "N6"], dtype="<U3"), version=(2, 0))

# an image list like IM-MIND's: every third id up to N600, an id twice, an
# id no news has; the same list as text for the test's awk
ids = ["N%d" % (3 * i) for i in range(1, 201)] + ["N3", "N999999"]
np.save("imlist-u7.npy", np.array(ids, dtype="<U7"))
with open("imlist.txt", "w") as f:
    f.write("\n".join(ids) + "\n")
