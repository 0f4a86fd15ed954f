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
The README's steps for a machine with ROS 2 installed, run against Debian's own Python.

Ubuntu 24.04 and Debian 12 refuse ``pip install`` into the system Python (PEP 668), and
ai-edge-litert left alone pulls numpy 2 beside a cv_bridge built against numpy 1.x. The README
makes a venv with ``scripts/ros_venv`` and builds with that venv's Python. This test runs those
commands verbatim in a workspace under ``.cache/ros-install`` with ``/usr/bin/python3`` (PEP 668
active) and the distribution's numpy and OpenCV (python3-numpy, python3-opencv: what rosdep
installs from package.xml), then starts the colcon-installed node and has it answer a frame.
No /opt/ros here: the ROS 2 Kilted wheels from PyPI, installed into the same venv, stand in for
its rclpy, and colcon from PyPI for its python3-colcon-common-extensions. The venv is kept
between runs (rebuilt when its inputs change); the workspace is rebuilt every run.
"""

import hashlib
import json
import os
import pathlib
import re
import shutil
import signal
import subprocess
import sys
import time
from typing import Optional

import cv2
from image_encoders import rgb_to_fields
import numpy as np
from person_segmentation import Segmenter
from person_segmentation.models.backends import tflite_backend
from person_segmentation.names import NODE_EXECUTABLE, NODE_NAME, PACKAGE
import pytest
from rclpy.qos import QoSProfile, ReliabilityPolicy
from ros_helpers import image_message, SpinningPeer, wait_until
from sensor_msgs.msg import Image

REPO_ROOT = pathlib.Path(__file__).resolve().parents[1]
SYSTEM_PYTHON = pathlib.Path('/usr/bin/python3')
CACHE = REPO_ROOT / '.cache' / 'ros-install'
WORKSPACE = CACHE / 'ws'
VENV = WORKSPACE / 'venv'
STAMP = CACHE / 'venv.sha256'
# The README's commands, run from the workspace (~/ws there); kept equal by a test below.
VENV_STEP = 'src/person_segmentation/scripts/ros_venv venv'
BUILD_STEP = 'venv/bin/python -m colcon build --packages-select person_segmentation'
SOURCE_STEP = 'source install/setup.bash'
# Stand-ins for the ROS install: these colcon pins, and the ROS wheels pinned in requirements.txt.
COLCON = ('colcon-common-extensions==0.3.0', 'colcon-core==0.21.3', 'colcon-ros==0.5.0',
          'colcon-python-setup-py==0.2.9', 'colcon-bash==0.5.0')
ROS_WHEEL = re.compile(r'^(ros-[\w.-]+|empy|lark-parser)==')
# What a clone of the repository holds: everything but these top-level build and cache folders.
NOT_CLONED = {'.git', '.venv', '.cache', 'build', 'install', 'log', 'output', 'data',
              '.pytest_cache'}
# Variables of this test's own venv that must not leak into the system Python's processes.
FOREIGN_ENVIRONMENT = ('PYTHONPATH', 'PYTHONHOME', 'VIRTUAL_ENV', 'LD_LIBRARY_PATH',
                       '_ROS_WHEELS_BOOTSTRAP_COMPLETE', 'AMENT_PREFIX_PATH',
                       'COLCON_PREFIX_PATH', 'CMAKE_PREFIX_PATH')
PROBE = """
import importlib, importlib.util, json, os, sys, sysconfig
report = {'externally_managed': os.path.isfile(
    os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED'))}
for module in ('numpy', 'cv2', 'PIL', 'ensurepip', 'rclpy', 'ai_edge_litert.interpreter',
               'rosbags.rosbag2'):
    try:
        importlib.import_module(module)
        report[module] = True
    except ImportError:
        report[module] = False
for module in ('numpy', 'cv2'):
    report[module + '_file'] = getattr(sys.modules.get(module), '__file__', None)
report['numpy_version'] = getattr(sys.modules.get('numpy'), '__version__', None)
report['tensorflow'] = importlib.util.find_spec('tensorflow') is not None
print(json.dumps(report))
"""
TIMEOUT = 60.0


def clean_environment() -> dict:
    """Return this environment without what points at the test's own venv or ROS wheels."""
    env = {k: v for k, v in os.environ.items() if k not in FOREIGN_ENVIRONMENT}
    env['PATH'] = os.pathsep.join(
        p for p in env.get('PATH', '').split(os.pathsep)
        if p and not pathlib.Path(p).resolve().is_relative_to(pathlib.Path(sys.prefix)))
    env['PYTHONUNBUFFERED'] = '1'
    return env


def probe(python, env) -> dict:
    """Report what an interpreter can import, its numpy and OpenCV, and PEP 668."""
    done = subprocess.run([str(python), '-c', PROBE], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, f'{python} fails to import its packages:\n{done.stderr[-2000:]}'
    return json.loads(done.stdout.splitlines()[-1])


def run_step(command: str, env: dict, timings: dict) -> None:
    """Run one of the README's commands in the workspace with bash, timed."""
    start = time.monotonic()
    done = subprocess.run(['bash', '-c', command], cwd=WORKSPACE, env=env, capture_output=True,
                          text=True, timeout=480)
    timings[command] = time.monotonic() - start
    assert done.returncode == 0, f'{command}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}'


def stand_in_requirements() -> list:
    """Return the pinned ROS wheels from requirements.txt, plus colcon."""
    lines = (REPO_ROOT / 'requirements.txt').read_text().splitlines()
    return sorted({line.strip() for line in lines if ROS_WHEEL.match(line.strip())}) + list(COLCON)


def venv_key(system: dict) -> str:
    """Hash everything the cached venv depends on; another value rebuilds it."""
    digest = hashlib.sha256()
    for path in ('scripts/ros_venv', 'requirements-ros.txt'):
        digest.update((REPO_ROOT / path).read_bytes())
    digest.update('\n'.join(stand_in_requirements()).encode())
    digest.update(json.dumps(system, sort_keys=True).encode())
    return digest.hexdigest()


def clone_into(destination: pathlib.Path) -> None:
    """Copy the working tree as a ``git clone`` would place it in ``src/``."""
    shutil.rmtree(destination, ignore_errors=True)
    shutil.copytree(REPO_ROOT, destination,
                    ignore=lambda folder, names: NOT_CLONED & set(names)
                    if pathlib.Path(folder) == REPO_ROOT else ['__pycache__'])


@pytest.fixture(scope='module')
def system_python():
    """Report Debian's own Python as a ROS install has it, or skip with the reason."""
    if not SYSTEM_PYTHON.is_file():
        pytest.skip(f'{SYSTEM_PYTHON} is absent: this test runs the ROS-install steps with the '
                    'distribution Python')
    report = probe(SYSTEM_PYTHON, clean_environment())
    if not report['externally_managed']:
        pytest.skip(f'PEP 668 is not active for {SYSTEM_PYTHON} (no EXTERNALLY-MANAGED marker)')
    missing = [apt for module, apt in (('numpy', 'python3-numpy'), ('cv2', 'python3-opencv'),
                                       ('PIL', 'python3-pil'), ('ensurepip', 'python3-venv'))
               if not report[module]]
    if missing:
        pytest.skip(f'{SYSTEM_PYTHON} lacks what rosdep would install: apt-get install '
                    f'{" ".join(missing)} (.ci/run does)')
    return report


@pytest.fixture(scope='module')
def workspace(system_python, models_dir):
    """Run the README's steps in .cache/ros-install/ws; return the environment they ran in."""
    env = clean_environment()
    system = {key: system_python[key] for key in ('numpy_version', 'numpy_file', 'cv2_file')}
    system['python'] = subprocess.run([str(SYSTEM_PYTHON), '--version'], capture_output=True,
                                      text=True, check=True).stdout.strip()
    key = venv_key(system)
    fresh = not STAMP.is_file() or STAMP.read_text() != key
    if fresh:
        shutil.rmtree(VENV, ignore_errors=True)
        STAMP.unlink(missing_ok=True)
    for folder in ('build', 'install', 'log'):
        shutil.rmtree(WORKSPACE / folder, ignore_errors=True)
    clone_into(WORKSPACE / 'src' / PACKAGE)
    timings = {}
    run_step(VENV_STEP, env, timings)
    if fresh:
        run_step('venv/bin/python -m pip install --disable-pip-version-check '
                 + ' '.join(stand_in_requirements()), env, timings)
        STAMP.write_text(key)
    run_step(BUILD_STEP, env, timings)
    print('\n'.join(f'{seconds:6.1f} s  {command[:80]}' for command, seconds in timings.items()))
    return {'env': env, 'system': system_python}


@pytest.mark.slow
def test_venv_adds_litert_and_rosbags_beside_the_system_numpy_and_rclpy(workspace):
    venv = probe(VENV / 'bin' / 'python', workspace['env'])
    assert venv['ai_edge_litert.interpreter'] and venv['rosbags.rosbag2'] and venv['rclpy']
    system = workspace['system']
    assert (venv['numpy_version'], venv['numpy_file']) == \
        (system['numpy_version'], system['numpy_file']), 'the venv shadows the system numpy'
    assert venv['cv2_file'] == system['cv2_file']
    assert not venv['tensorflow'], 'the LiteRT path must run without TensorFlow'


@pytest.mark.slow
def test_installed_executables_start_with_the_venv_python(workspace):
    scripts = sorted((WORKSPACE / 'install' / PACKAGE / 'lib' / PACKAGE).iterdir())
    assert NODE_EXECUTABLE in {script.name for script in scripts}
    for script in scripts:  # (the node's runs it with -S: node/main.py says why)
        assert script.read_text().splitlines()[0].split()[0] == f'#!{VENV}/bin/python', script


@pytest.fixture(scope='module')
def photo(davis_dir):
    """Load a real 640x480 frame with a person (DAVIS parkour, centre crop), RGB."""
    bgr = cv2.imread(str(davis_dir / 'JPEGImages' / '480p' / 'parkour' / '00040.jpg'))
    return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)[:, 107:747])


class Camera(SpinningPeer):
    """A camera peer in its own rclpy context: publishes frames stamped now, collects masks."""

    def __init__(self, namespace: str):
        super().__init__('ros_install_camera')
        reliable = QoSProfile(depth=5, reliability=ReliabilityPolicy.RELIABLE)
        self.publisher = self.node.create_publisher(Image, f'{namespace}/image', reliable)
        self.masks, self.sent = [], {}
        self.node.create_subscription(Image, f'{namespace}/{NODE_NAME}/mask', self._on_mask,
                                      reliable)
        self.start()

    def _on_mask(self, msg):
        with self.lock:
            self.masks.append(msg)
            self.lock.notify_all()

    def first_mask(self, fields: dict, process) -> Optional[Image]:
        """Publish the frame once a second until the node's first mask arrives (or None)."""
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline and process.poll() is None:
            stamp = self.node.get_clock().now().to_msg()
            frame_id = f'camera_{len(self.sent)}'
            self.sent[frame_id] = (stamp.sec, stamp.nanosec)
            self.publisher.publish(image_message(fields, frame_id, self.sent[frame_id]))
            if wait_until(self.lock, lambda: bool(self.masks), 1.0):
                return self.masks[0]
        return None


@pytest.mark.slow
def test_installed_node_answers_a_frame_with_the_litert_model(workspace, models_dir, photo):
    namespace = f'/ros_install_{os.getpid()}'
    env = dict(workspace['env'], PERSON_SEGMENTATION_MODEL_DIR=str(models_dir))
    executable = WORKSPACE / 'install' / PACKAGE / 'lib' / PACKAGE / NODE_EXECUTABLE
    camera = Camera(namespace)
    # What `ros2 run` does after the README's `source install/setup.bash`.
    process = subprocess.Popen(
        ['bash', '-c', f'{SOURCE_STEP} && exec "$0" "$@"', str(executable), '--ros-args',
         '-r', f'__ns:={namespace}', '-p', 'model:=deeplabv3_mnv2_257', '-p', 'threads:=2',
         '-p', 'qos_reliability:=reliable'],
        cwd=WORKSPACE, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        mask = camera.first_mask(rgb_to_fields(photo, 'bgr8'), process)
        process.send_signal(signal.SIGINT)
        output = process.communicate(timeout=20)[0]
    finally:
        camera.close()
        if process.poll() is None:
            process.kill()
            process.communicate(timeout=10)
    assert mask is not None, f'the installed node never answered a frame:\n{output[-3000:]}'
    assert process.returncode == 0 and 'Traceback' not in output, output
    assert re.search('litert|tflite', output, re.IGNORECASE), output
    header = (mask.header.stamp.sec, mask.header.stamp.nanosec)
    assert camera.sent[mask.header.frame_id] == header, 'the mask lost the frame header'
    assert (mask.width, mask.height, mask.encoding) == (640, 480, 'mono8')
    got = np.frombuffer(mask.data, np.uint8).reshape(480, 640) > 0
    engine = Segmenter(model='deeplabv3_mnv2_257', threads=2, model_dir=models_dir)
    try:
        expected = engine(photo).mask > 0
    finally:
        engine.close()
    # The node runs on the distribution's numpy and OpenCV, this process on the pinned ones.
    iou = np.count_nonzero(got & expected) / np.count_nonzero(got | expected)
    assert iou > 0.95 and expected.mean() > 0.02, (iou, expected.mean())


def readme_ros_steps() -> list:
    """Return the commands of the README's 'Machine with ROS 2 installed' block, comments cut."""
    text = (REPO_ROOT / 'README.md').read_text()
    section = text.split('## Machine with ROS 2 installed', 1)[1].split('\n## ', 1)[0]
    block = section.split('```bash\n', 1)[1].split('```', 1)[0]
    return [line.split('  #', 1)[0].strip() for line in block.splitlines()]


def test_readme_shows_the_steps_this_test_runs():
    steps = readme_ros_steps()
    assert [s for s in steps if s in (VENV_STEP, BUILD_STEP, SOURCE_STEP)] == \
        [VENV_STEP, BUILD_STEP, SOURCE_STEP]
    assert not any(s.startswith(('pip ', 'sudo pip')) or '--break-system-packages' in s
                   for s in steps), steps


def test_missing_litert_names_the_python_and_the_ros_install_fix(monkeypatch):
    monkeypatch.setitem(sys.modules, 'ai_edge_litert', None)
    with pytest.raises(ImportError) as error:
        tflite_backend.load_interpreter(content=b'')
    message = str(error.value)
    assert sys.executable in message and 'scripts/ros_venv' in message, message
