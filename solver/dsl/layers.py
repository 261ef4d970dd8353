"""DSL v2, primitives over two images: programs that name more than one image.

A program may keep several images in named variables and combine them, for example a
mirrored copy laid over the input::

    def task(img):
        top = flip_lr(img)
        img = layer(img, top)
        return img

Deleting the line that defines ``top`` leaves a program that fails with ``NameError``
(detectable: the sandbox reports an ``error`` status); deleting the ``layer`` line leaves a
valid program. Both images must have the same shape, else ``ValueError``.

``changes(after, before)`` keeps only what a chain changed, so that several edits of the
input can be laid over one another::

    def task(img):
        p1 = recolor_objects(img, 'largest', 1, 8, False)
        p1 = changes(p1, img)
        img = recolor_objects(img, 'smallest', 2, 8, False)
        img = layer(img, p1)
        return img
"""

from __future__ import annotations

import numpy as np

from solver.dsl.ops import Img, _arr, bg_of


def _same_shape(a: np.ndarray, b: np.ndarray, name: str) -> None:
    if a.shape != b.shape:
        raise ValueError(f"{name}: images of shapes {a.shape} and {b.shape}")


def layer(base: Img, top: Img) -> Img:
    """``top``'s foreground cells (all but its background colour) painted over ``base``."""
    a, b = _arr(base), _arr(top)
    _same_shape(a, b, "layer")
    return np.where(b != bg_of(b), b, a).astype(a.dtype)


def underlay(base: Img, bottom: Img) -> Img:
    """``base``'s background cells take ``bottom``'s colour; its foreground stays."""
    a, b = _arr(base), _arr(bottom)
    _same_shape(a, b, "underlay")
    return np.where(a == bg_of(a), b, a).astype(a.dtype)


def mask_by(img: Img, mask: Img) -> Img:
    """``img``'s cells where ``mask`` is foreground; background elsewhere."""
    a, m = _arr(img), _arr(mask)
    _same_shape(a, m, "mask_by")
    return np.where(m != bg_of(m), a, bg_of(a)).astype(a.dtype)


def mask_out(img: Img, mask: Img) -> Img:
    """``img``'s cells where ``mask`` is background; background where it is foreground."""
    a, m = _arr(img), _arr(mask)
    _same_shape(a, m, "mask_out")
    return np.where(m == bg_of(m), a, bg_of(a)).astype(a.dtype)


def changes(after: Img, before: Img) -> Img:
    """``after``'s cells that differ from ``before``; background elsewhere (what a chain changed)."""
    a, b = _arr(after), _arr(before)
    _same_shape(a, b, "changes")
    return np.where(a != b, a, bg_of(a)).astype(a.dtype)


LAYER_OPS = (layer, underlay, mask_by, mask_out, changes)
