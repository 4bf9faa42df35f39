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
