# Copyright 2026 person_segmentation maintainers
#
# Licensed under the Apache License, Version 2.0 (the "License");
# you may not use this file except in compliance with the License.
# You may obtain a copy of the License at
#
#     http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS,
# WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
# See the License for the specific language governing permissions and
# limitations under the License.

"""
Read any video OpenCV reads and write videos that are either complete or absent.

segment_video, video_to_bag and replay all read videos or image sequences and write videos or
numbered frames. This module gives them one reader with a clear error for unreadable input and
one writer that works on a temporary name in the target directory and renames on success, so an
error or Ctrl-C never leaves a half-written file that looks complete.

Paths containing a printf field (``frames/%05d.jpg``) are image sequences. Writing to such a
pattern stores lossless frames (PNG recommended); video containers get a codec per extension,
and grayscale (mask) videos a lossless one (FFV1) so a mask stays exactly 0/255.
"""

import os
import pathlib
import re
import shutil
import tempfile
from typing import Iterator, Optional, Tuple

import cv2
import numpy as np

#: fps assumed for image sequences (they carry no timing)
DEFAULT_SEQUENCE_FPS = 30.0
_PATTERN = re.compile(r'%0?\d*d')
#: codec per container extension; the first that OpenCV can open is used
CODECS = {
    '.mp4': ('mp4v', 'avc1'),
    '.m4v': ('mp4v',),
    '.mov': ('mp4v',),
    '.avi': ('MJPG', 'XVID'),
    '.mkv': ('FFV1', 'mp4v'),
}
#: lossless codecs tried first for masks (``is_color=False``), so they stay exactly 0/255
LOSSLESS_CODECS = ('FFV1', 'MPNG')


class VideoReadError(Exception):
    """A video or image sequence cannot be opened or has no frames."""


class VideoWriteError(Exception):
    """An output video cannot be created."""


def is_pattern(path) -> bool:
    """Return True for printf-style image sequence paths like ``frames/%05d.png``."""
    return bool(_PATTERN.search(os.fspath(path)))


class VideoSource:
    """
    Frames of a video file or image sequence, as BGR uint8, in order.

    Opening reads the first frame, so an input that cannot be decoded raises VideoReadError
    (naming the file and the problem) here rather than mid-way.
    """

    def __init__(self, path, fps: Optional[float] = None):
        self._capture = None
        self.path = os.fspath(path)
        self.is_sequence = is_pattern(self.path)
        if not self.is_sequence and not os.path.isfile(self.path):
            raise VideoReadError(f'input {self.path} does not exist or is not a file')
        if self.is_sequence:
            self._capture = cv2.VideoCapture(self.path, cv2.CAP_IMAGES)
        else:
            self._capture = cv2.VideoCapture(self.path)
        if not self._capture.isOpened():
            raise VideoReadError(f'cannot read {self.path}: OpenCV could not open it as a video '
                                 'or image sequence')
        ok, frame = self._capture.read()
        if not ok or frame is None:
            self._capture.release()
            raise VideoReadError(f'cannot read {self.path}: no decodable frames')
        self._first: Optional[np.ndarray] = frame
        self.size: Tuple[int, int] = (frame.shape[1], frame.shape[0])
        reported = self._capture.get(cv2.CAP_PROP_FPS)
        if fps:
            self.fps = float(fps)
        elif self.is_sequence or not reported or not np.isfinite(reported) or reported <= 0 \
                or reported > 1000:
            self.fps = DEFAULT_SEQUENCE_FPS
        else:
            self.fps = float(reported)
        count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        self.frame_count: Optional[int] = count if count > 0 else None

    def __iter__(self) -> Iterator[Tuple[int, np.ndarray]]:
        """Yield ``(index, bgr)``; frames of another size than the first raise VideoReadError."""
        index = 0
        if self._first is not None:
            frame, self._first = self._first, None
            yield index, self._as_bgr(frame)
            index += 1
        while self._capture is not None:
            ok, frame = self._capture.read()
            if not ok or frame is None:
                break
            if (frame.shape[1], frame.shape[0]) != self.size:
                raise VideoReadError(f'{self.path}: frame {index} is {frame.shape[1]}x'
                                     f'{frame.shape[0]}, the first was {self.size[0]}x'
                                     f'{self.size[1]}')
            yield index, self._as_bgr(frame)
            index += 1

    @staticmethod
    def _as_bgr(frame: np.ndarray) -> np.ndarray:
        if frame.ndim == 2:
            return cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        if frame.shape[2] == 4:
            return cv2.cvtColor(frame, cv2.COLOR_BGRA2BGR)
        return frame

    def close(self) -> None:
        """Release the decoder."""
        if self._capture is not None:
            self._capture.release()
            self._capture = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()


class AtomicVideoWriter:
    """
    Write a video (or numbered frames) under a temporary name; publish it only on success.

    Use as a context manager: leaving the block normally renames the result into place; an
    exception (including KeyboardInterrupt) removes everything written.
    """

    def __init__(self, path, fps: float, size: Tuple[int, int], is_color: bool = True):
        self.path = pathlib.Path(path)
        self.fps = float(fps)
        self.size = (int(size[0]), int(size[1]))
        self.is_color = is_color
        self.frames = 0
        self._writer = None
        self._tmp: Optional[pathlib.Path] = None
        if self.fps <= 0:
            raise ValueError(f'fps must be positive, got {fps}')
        if self.size[0] < 1 or self.size[1] < 1:
            raise ValueError(f'bad frame size {size}')
        parent = self.path.parent
        if not parent.is_dir():
            if is_pattern(self.path):
                parent.mkdir(parents=True, exist_ok=True)
            else:
                raise VideoWriteError(f'cannot write {self.path}: directory {parent} '
                                      'does not exist')
        if not os.access(parent, os.W_OK):
            raise VideoWriteError(f'cannot write {self.path}: directory {parent} '
                                  'is not writable')
        try:  # os.access says yes to root, even where the file system says no
            self._open()
        except OSError as error:
            raise VideoWriteError(f'cannot write {self.path}: {error.strerror} '
                                  f'(directory {parent})') from None

    def _open(self) -> None:
        if is_pattern(self.path):
            self._tmp = pathlib.Path(tempfile.mkdtemp(prefix='.partial-', dir=self.path.parent))
            return
        suffix = self.path.suffix.lower()
        codecs = CODECS.get(suffix)
        if codecs is not None and not self.is_color:
            codecs = LOSSLESS_CODECS + codecs
        if codecs is None:
            raise VideoWriteError(f'cannot write {self.path}: unknown video extension '
                                  f'{suffix!r}; use one of {", ".join(CODECS)} or an image '
                                  'pattern such as frames/%05d.png')
        fd, name = tempfile.mkstemp(prefix=f'.{self.path.stem}.partial-', suffix=suffix,
                                    dir=self.path.parent)
        os.close(fd)
        self._tmp = pathlib.Path(name)
        for codec in codecs:
            writer = cv2.VideoWriter(name, cv2.VideoWriter_fourcc(*codec), self.fps, self.size,
                                     self.is_color)
            if writer.isOpened():
                self._writer = writer
                self.codec = codec
                return
            writer.release()
        self._discard()
        raise VideoWriteError(f'cannot write {self.path}: no working codec among '
                              f'{", ".join(codecs)} in this OpenCV build')

    def write(self, frame: np.ndarray) -> None:
        """Append one frame (BGR, or single-channel when ``is_color`` is False)."""
        if self._tmp is None:
            raise VideoWriteError(f'{self.path} is already closed')
        if (frame.shape[1], frame.shape[0]) != self.size:
            raise ValueError(f'frame {frame.shape[1]}x{frame.shape[0]} does not match the video '
                             f'size {self.size[0]}x{self.size[1]}')
        if self.is_color and frame.ndim == 2:
            frame = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        elif not self.is_color and frame.ndim == 3:
            frame = cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if self._writer is not None:
            self._writer.write(frame)
        else:
            name = self._tmp / (self.path.name % self.frames)
            if not cv2.imwrite(str(name), frame):
                raise VideoWriteError(f'cannot write frame {name}')
        self.frames += 1

    def commit(self) -> None:
        """Finish the file and move it into place."""
        if self._tmp is None:
            return
        if self._writer is not None:
            self._writer.release()
            self._writer = None
            os.chmod(self._tmp, 0o644)
            os.replace(self._tmp, self.path)
        else:
            for index in range(self.frames):
                name = self.path.name % index
                os.replace(self._tmp / name, self.path.parent / name)
            shutil.rmtree(self._tmp, ignore_errors=True)
        self._tmp = None

    def _discard(self) -> None:
        if self._writer is not None:
            self._writer.release()
            self._writer = None
        if self._tmp is not None:
            if self._tmp.is_dir():
                shutil.rmtree(self._tmp, ignore_errors=True)
            else:
                try:
                    self._tmp.unlink()
                except FileNotFoundError:
                    pass
            self._tmp = None

    def abort(self) -> None:
        """Remove everything written so far."""
        self._discard()

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.commit()
        else:
            self.abort()
        return False

    def __del__(self):
        self._discard()


def default_start_time(video) -> float:
    """
    Return the stamp of a video's first frame: the file's modification time, in seconds.

    For an image-sequence pattern, the modification time of its folder.
    """
    path = os.fspath(video)
    try:
        return os.stat(path).st_mtime
    except OSError:  # an image-sequence pattern: no single file
        return os.stat(os.path.dirname(path) or '.').st_mtime
