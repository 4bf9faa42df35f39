# Copyright (c) vpd_mm contributors. All rights reserved.
"""Unpickling files from elsewhere without running their code: data only, numpy included."""
import pickle
from typing import IO, Any, Union

#: The only globals a data pickle may name: numpy arrays, scalars and dtypes (numpy 1 and 2
#: module paths), ordered dicts, and ``_codecs.encode`` (how protocols 0-2 store bytes).
SAFE_GLOBALS = frozenset({
    ('numpy.core.multiarray', '_reconstruct'), ('numpy.core.multiarray', 'scalar'),
    ('numpy', 'ndarray'), ('numpy', 'dtype'), ('numpy.core.numeric', '_frombuffer'),
    ('numpy._core.multiarray', '_reconstruct'), ('numpy._core.multiarray', 'scalar'),
    ('numpy._core.numeric', '_frombuffer'), ('collections', 'OrderedDict'),
    ('_codecs', 'encode')
})


class SafeUnpickler(pickle.Unpickler):
    """A :class:`pickle.Unpickler` that resolves only :data:`SAFE_GLOBALS`.

    Builtin containers, strings, numbers, booleans and None need no global; anything else (a
    function to call such as ``os.system``, a class to instantiate) is refused with an
    :class:`pickle.UnpicklingError` naming it, before it is imported.
    """

    def find_class(self, module: str, name: str):
        if (module, name) in SAFE_GLOBALS:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(
            f'refusing to load {module}.{name}: a data file holds only lists, tuples, dicts, '
            'strings, numbers and numpy arrays')


def safe_pickle_load(file: Union[str, IO[bytes]]) -> Any:
    """Load a data pickle (path or binary file) with :class:`SafeUnpickler`."""
    if isinstance(file, str):
        with open(file, 'rb') as f:
            return SafeUnpickler(f).load()
    return SafeUnpickler(file).load()


def safe_npz_entry(path: str, key: str) -> Any:
    """One array of an ``.npz`` file; an object array is unpickled with :class:`SafeUnpickler`.

    ``np.load(path, allow_pickle=True)`` would run any code an object array's pickle names
    (VideoPose3D's ``data_3d_h36m.npz`` stores a dict as such an array, and such files are
    downloaded).

    Args:
        path (str): The ``.npz`` file.
        key (str): The array's name.

    Returns:
        np.ndarray: the array (an object array as unpickled, e.g. 0-d holding a dict).

    Raises:
        KeyError: no such array in the file.
        pickle.UnpicklingError: the object array names a global outside :data:`SAFE_GLOBALS`.
    """
    import zipfile

    import numpy as np
    from numpy.lib import format as npy_format

    with zipfile.ZipFile(path) as archive:
        member = f'{key}.npy'
        if member not in archive.namelist():
            raise KeyError(f'{path}: no array {key!r} (arrays: '
                           f'{sorted(n[:-4] for n in archive.namelist() if n.endswith(".npy"))})')
        with archive.open(member) as f:
            version = npy_format.read_magic(f)
            read_header = (npy_format.read_array_header_1_0 if version == (1, 0) else
                           npy_format.read_array_header_2_0)
            shape, fortran_order, dtype = read_header(f)
            if dtype.hasobject:
                return SafeUnpickler(f).load()
    with np.load(path, allow_pickle=False) as data:
        return data[key]
