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
The managed (lifecycle) node over the real lifecycle_msgs services, on real rclpy and models.

Every transition is driven as ``ros2 lifecycle set`` and nav2's lifecycle_manager drive it
(ChangeState / GetState requests from another participant), and what the node publishes is
checked in each state: nothing before it is active, the engine's mask while active, nothing
after deactivate (including frames that arrive while it is deactivating), and the model
loaded, kept and freed as the states say. All waits have timeouts.
"""

import os
import pathlib
import shutil
import signal
import sys
import time

from diagnostic_msgs.msg import DiagnosticArray
from image_encoders import rgb_to_fields
from lifecycle_msgs.msg import Transition
from lifecycle_msgs.srv import ChangeState, GetState
from node_output import NodeProcess
import numpy as np
from person_segmentation.node import lifecycle_bond
from person_segmentation.node.managed_node import (create_node, lifecycle_requested,
                                                   ManagedPersonSegmentationNode)
from person_segmentation.node.segmentation_node import PersonSegmentationNode
from person_segmentation.replay.runner import publish_patiently
import pytest
from rcl_interfaces.msg import Log
import rclpy
from rclpy.parameter import Parameter
from rclpy.qos import QoSProfile, ReliabilityPolicy
from ros_helpers import image_message, Listener, NodeInContext
from sensor_msgs.msg import Image

RELIABLE = QoSProfile(depth=50, reliability=ReliabilityPolicy.RELIABLE)
NS = f'/lifecycle_{os.getpid()}'
#: how long a test waits to be sure that nothing comes (not a speed requirement)
QUIET = 1.5


def _node_parameters(models_dir, model='deeplabv3_mnv2_257', **more):
    values = dict(lifecycle=True, model=model, model_dir=str(models_dir), threads=2,
                  max_age=0.0, **more)
    return [Parameter(name, value=value) for name, value in values.items()]


class Robot:
    """A managed node in namespace ``ns`` and a peer that drives it and watches its outputs."""

    def __init__(self, ns, parameters):
        self.ns, self.out = ns, f'{ns}/person_segmentation'
        self.under_test = NodeInContext(create_node, namespace=ns,
                                        parameter_overrides=parameters)
        self.node = self.under_test.node
        self.peer = Listener(f'lifecycle_peer_{abs(hash(ns))}')
        self.camera = self.peer.node.create_publisher(Image, f'{ns}/image', RELIABLE)
        self.peer.listen('mask', Image, f'{self.out}/mask', RELIABLE)
        self.peer.listen('diagnostics', DiagnosticArray, '/diagnostics', 50)
        self.peer.listen('rosout', Log, '/rosout', QoSProfile(
            depth=1000, reliability=ReliabilityPolicy.RELIABLE))

    def transition(self, transition_id):
        response = self.peer.call(ChangeState, f'{self.out}/change_state',
                                  ChangeState.Request(transition=Transition(id=transition_id)))
        assert response is not None, f'no answer to transition {transition_id}'
        return response.success

    def state(self):
        response = self.peer.call(GetState, f'{self.out}/get_state', GetState.Request())
        assert response is not None, 'no answer from get_state'
        return response.current_state.label

    def publish(self, fields, frame_id, stamp=(1700000000, 5)):
        publish_patiently(self.camera, image_message(fields, frame_id, stamp))

    def node_status(self):
        """Wait for the latest /diagnostics status of the node itself; return it and its table."""
        name = f'{self.out[1:]}: node'
        found = []

        def ready():
            found[:] = [s for a in self.peer.received['diagnostics'] for s in a.status
                        if s.name == name]
            return bool(found)
        assert self.peer.wait(ready), f'no diagnostics status {name}'
        return found[-1], {kv.key: kv.value for kv in found[-1].values}

    def fresh_node_status(self):
        """Return a node status published after now."""
        with self.peer.lock:
            self.peer.received['diagnostics'].clear()
        return self.node_status()

    def log_lines(self, text):
        name = self.out[1:].replace('/', '.')
        with self.peer.lock:
            return [m.msg for m in self.peer.received['rosout']
                    if m.name == name and text in m.msg]

    def answered(self, fields, prefix):
        """Send small frames until the node answers one: outputs and DDS matched."""
        for index in range(30):
            frame_id = f'{prefix}_{index}'
            self.publish(fields, frame_id)
            if self.peer.message('mask', frame_id, timeout=1.0) is not None:
                return frame_id
        raise AssertionError('the node never answered a frame')

    def close(self):
        self.peer.close()
        self.under_test.close()


@pytest.fixture
def robot(models_dir, request):
    r = Robot(f'{NS}_{request.node.name.split("[")[0][5:25]}', _node_parameters(models_dir))
    yield r
    r.close()


def test_lifecycle_is_read_from_the_overrides_before_the_node_is_made(models_dir, tmp_path):
    params = tmp_path / 'params.yaml'
    params.write_text('person_segmentation:\n  ros__parameters:\n    lifecycle: true\n')
    context = rclpy.Context()
    rclpy.init(context=context, args=['--ros-args', '--params-file', str(params)])
    try:
        assert lifecycle_requested(context=context)
        assert not lifecycle_requested(context=context, parameter_overrides=[
            Parameter('lifecycle', value=False)])
        # the params file names the node: under another name (remapped) it does not apply
        assert not lifecycle_requested(context=context, cli_args=[
            '--ros-args', '-r', '__node:=other_name'])
        # the plain node refuses to be a managed one in name only
        with pytest.raises(ValueError, match='lifecycle is true'):
            PersonSegmentationNode(context=context, parameter_overrides=[
                Parameter('model_dir', value=str(models_dir))])
    finally:
        rclpy.shutdown(context=context)


def test_every_transition_and_what_is_published_in_each_state(robot, engine, photo):
    node = robot.node
    assert isinstance(node, ManagedPersonSegmentationNode)
    small = rgb_to_fields(photo[::4, ::4].copy(), 'rgb8')
    full = rgb_to_fields(photo, 'rgb8')
    # unconfigured: lifecycle services, no model, no outputs, nothing subscribed
    assert robot.state() == 'unconfigured'
    assert node.segmenter is None
    status, values = robot.node_status()
    assert values['state'] == 'unconfigured' and values['model'] == 'not loaded'
    assert robot.peer.node.count_publishers(f'{robot.out}/mask') == 0
    assert robot.peer.node.count_subscribers(f'{robot.ns}/image') == 0

    # configure: the model and the (inactive) publishers, still no subscription
    assert robot.transition(Transition.TRANSITION_CONFIGURE)
    assert robot.state() == 'inactive'
    assert node.segmenter is not None and node.segmenter.model_name == 'deeplabv3_mnv2_257'
    assert robot.peer.wait(lambda: robot.peer.node.count_publishers(f'{robot.out}/mask') == 1)
    assert robot.peer.node.count_subscribers(f'{robot.ns}/image') == 0
    robot.publish(full, 'while_inactive')
    assert robot.peer.message('mask', 'while_inactive', timeout=QUIET) is None
    _, values = robot.fresh_node_status()
    assert values['state'] == 'inactive' and values['model'] == 'deeplabv3_mnv2_257'

    # activate: the engine's mask for each frame, with its header
    assert robot.transition(Transition.TRANSITION_ACTIVATE)
    assert robot.state() == 'active'
    robot.answered(small, 'sync')
    robot.publish(full, 'active_frame', stamp=(1700000001, 77))
    mask = robot.peer.message('mask', 'active_frame')
    assert mask is not None and (mask.header.stamp.sec, mask.header.stamp.nanosec) == (
        1700000001, 77)
    expected = engine(photo).mask
    assert np.array_equal(np.frombuffer(mask.data, np.uint8).reshape(expected.shape), expected)
    _, values = robot.fresh_node_status()
    assert values['state'] == 'active'

    # deactivate with frames arriving meanwhile: nothing is published once it has answered,
    # the model stays, and what waited is never published after the next activate
    model = node.segmenter
    for index in range(8):
        robot.publish(full, f'burst_{index}')
    assert robot.transition(Transition.TRANSITION_DEACTIVATE)
    assert robot.state() == 'inactive'
    published = len(robot.peer.frame_ids('mask'))
    for index in range(4):
        robot.publish(full, f'during_inactive_{index}')
    time.sleep(QUIET)
    assert len(robot.peer.frame_ids('mask')) == published
    assert node.segmenter is model
    assert robot.peer.node.count_subscribers(f'{robot.ns}/image') == 0
    assert robot.transition(Transition.TRANSITION_ACTIVATE)
    after = robot.answered(small, 'reactivated')
    late = [f for f in robot.peer.frame_ids('mask')[published:] if not f.startswith('reactiv')]
    assert late == [], f'frames from before the reactivation were published: {late}'
    assert after

    # deactivate + cleanup: the model and the publishers are gone
    assert robot.transition(Transition.TRANSITION_DEACTIVATE)
    assert robot.transition(Transition.TRANSITION_CLEANUP)
    assert robot.state() == 'unconfigured'
    assert node.segmenter is None and node.pipelines == []
    assert robot.peer.wait(lambda: robot.peer.node.count_publishers(f'{robot.out}/mask') == 0)
    # and it configures and activates again
    assert robot.transition(Transition.TRANSITION_CONFIGURE)
    assert robot.transition(Transition.TRANSITION_ACTIVATE)
    robot.answered(small, 'second_life')


def test_a_model_that_fails_to_load_fails_configure_and_configure_works_later(
        models_dir, tmp_path):
    model = tmp_path / 'models' / 'later.tflite'
    robot = Robot(f'{NS}_late_model', _node_parameters(models_dir, model=str(model)))
    try:
        assert robot.state() == 'unconfigured'
        assert not robot.transition(Transition.TRANSITION_CONFIGURE)
        assert robot.state() == 'unconfigured'
        assert robot.node.segmenter is None
        status, values = robot.fresh_node_status()
        assert status.level == status.ERROR
        assert 'configure failed' in values['problem'] and str(model) in values['problem']
        assert robot.peer.wait(lambda: robot.log_lines('configure failed'))
        # the file appears (copied, mounted, downloaded): configure now succeeds
        model.parent.mkdir()
        shutil.copy(models_dir / 'deeplabv3_257_mv_gpu.tflite', model)
        assert robot.transition(Transition.TRANSITION_CONFIGURE)
        assert robot.state() == 'inactive'
        status, values = robot.fresh_node_status()
        assert status.level == status.OK and 'problem' not in values
    finally:
        robot.close()


@pytest.mark.parametrize('steps', [(), (Transition.TRANSITION_CONFIGURE,),
                                   (Transition.TRANSITION_CONFIGURE,
                                    Transition.TRANSITION_ACTIVATE)],
                         ids=['unconfigured', 'inactive', 'active'])
def test_shutdown_from_any_state(models_dir, photo, steps):
    robot = Robot(f'{NS}_shutdown_{len(steps)}', _node_parameters(models_dir))
    try:
        for step in steps:
            assert robot.transition(step)
        small = rgb_to_fields(photo[::4, ::4].copy(), 'rgb8')
        if steps and steps[-1] == Transition.TRANSITION_ACTIVATE:
            robot.answered(small, 'before_shutdown')
        shutdown = {(): Transition.TRANSITION_UNCONFIGURED_SHUTDOWN,
                    1: Transition.TRANSITION_INACTIVE_SHUTDOWN,
                    2: Transition.TRANSITION_ACTIVE_SHUTDOWN}[len(steps) or ()]
        assert robot.transition(shutdown)
        assert robot.state() == 'finalized'
        assert robot.node.segmenter is None
        published = len(robot.peer.frame_ids('mask'))
        robot.publish(small, 'after_shutdown')
        time.sleep(QUIET)
        assert len(robot.peer.frame_ids('mask')) == published
        _, values = robot.fresh_node_status()
        assert values['state'] == 'finalized'
    finally:
        robot.close()


class HumbleChangeState(ManagedPersonSegmentationNode):
    """
    The node with Humble's change_state behaviour.

    Humble's rclpy 3.3 (rclpy/lifecycle/node.py, __change_state) calls
    trigger_transition_by_id without a try: a transition the state does not offer raises
    RCLError out of the service callback, which stops the executor. Kilted's answers failure.
    """

    def __init__(self, **kwargs):
        original = ManagedPersonSegmentationNode._answering_impossible_transitions

        def humble_first(node, callback):
            def raising(request, response):
                offered = {t.transition.id for t in node.get_available_transitions()}
                if request.transition.id not in offered:
                    raise RuntimeError('Transition is not registered.')  # as rcl's RCLError
                return callback(request, response)
            return original(node, raising)
        self._answering_impossible_transitions = lambda callback: humble_first(self, callback)
        super().__init__(**kwargs)

    def get_available_transitions(self):
        labels = {'unconfigured': ('configure', 'shutdown'),
                  'inactive': ('activate', 'cleanup', 'shutdown'),
                  'active': ('deactivate', 'shutdown')}[self._state_label]
        return [_Described(getattr(Transition, f'TRANSITION_{label.upper()}', None) or
                           Transition.TRANSITION_UNCONFIGURED_SHUTDOWN) for label in labels]


class _Described:
    def __init__(self, transition_id):
        self.transition = Transition(id=transition_id)


@pytest.mark.parametrize('node_class', [ManagedPersonSegmentationNode, HumbleChangeState],
                         ids=['kilted', 'humble'])
def test_a_transition_the_state_does_not_offer_is_refused_and_the_node_lives_on(
        models_dir, photo, node_class):
    ns = f'{NS}_refused_{node_class.__name__}'
    robot = Robot.__new__(Robot)
    robot.ns, robot.out = ns, f'{ns}/person_segmentation'
    robot.under_test = NodeInContext(node_class, namespace=ns,
                                     parameter_overrides=_node_parameters(models_dir))
    robot.node = robot.under_test.node
    robot.peer = Listener(f'refusal_peer_{node_class.__name__}')
    robot.camera = robot.peer.node.create_publisher(Image, f'{ns}/image', RELIABLE)
    robot.peer.listen('mask', Image, f'{robot.out}/mask', RELIABLE)
    try:
        assert not robot.transition(Transition.TRANSITION_ACTIVATE)  # from unconfigured
        assert robot.state() == 'unconfigured'
        assert robot.transition(Transition.TRANSITION_CONFIGURE)
        assert not robot.transition(Transition.TRANSITION_CONFIGURE)  # configured already
        assert robot.transition(Transition.TRANSITION_ACTIVATE)
        robot.answered(rgb_to_fields(photo[::4, ::4].copy(), 'rgb8'), 'still_alive')
    finally:
        robot.close()


def test_the_plain_node_has_no_lifecycle_services(models_dir):
    plain = NodeInContext(create_node, namespace=f'{NS}_plain', parameter_overrides=[
        Parameter('model', value='deeplabv3_mnv2_257'),
        Parameter('model_dir', value=str(models_dir))])
    try:
        assert type(plain.node) is PersonSegmentationNode
        services = {name for name, _ in plain.node.get_service_names_and_types_by_node(
            'person_segmentation', f'{NS}_plain')}
        assert f'{NS}_plain/person_segmentation/set_parameters' in services
        assert not [s for s in services if 'state' in s or 'transition' in s]
        assert plain.node.segmenter is not None  # loaded at once, as always
    finally:
        plain.close()


def test_without_bondpy_the_node_says_so_once_and_activates(robot, photo):
    assert lifecycle_bond._bond_modules() is None, 'bondpy is installed here'
    for transition in (Transition.TRANSITION_CONFIGURE, Transition.TRANSITION_ACTIVATE,
                       Transition.TRANSITION_DEACTIVATE, Transition.TRANSITION_ACTIVATE):
        assert robot.transition(transition)
    robot.answered(rgb_to_fields(photo[::4, ::4].copy(), 'rgb8'), 'no_bond')
    assert robot.node.bond is None
    assert robot.peer.wait(lambda: robot.log_lines('bondpy is not installed'))
    assert len(robot.log_lines('bondpy is not installed')) == 1


FAKE_BONDPY = '''
"""A stand-in for bondpy (ros/bond_core, ros2 branch): the same structure, no state machine."""
import threading

from bond.msg import Status


class Bond:
    made = []

    def __init__(self, node, topic, bond_id, on_broken=None, on_formed=None):
        self.node, self.topic, self.id = node, topic, bond_id
        self.heartbeat_period = 1.0
        self.heartbeat_timeout = 4.0
        self.is_shutdown = False
        self.broken_by_timeout = False
        self.condition = threading.Condition()
        self.pub = node.create_publisher(Status, topic, 1)  # bondpy: queue 1
        Bond.made.append(self)

    def start(self):
        self.sub = self.node.create_subscription(Status, self.topic, self._on_bond_status, 1)
        self.thread = threading.Thread(target=self._publishing_thread, daemon=True)
        self.thread.start()

    def _on_bond_status(self, msg):
        pass

    def _on_heartbeat_timeout(self):
        self.broken_by_timeout = True

    def _publishing_thread(self):
        with self.condition:
            while not self.is_shutdown:
                self.pub.publish(Status(key=self.id, value='alive'))
                self.condition.wait(self.heartbeat_period)

    def shutdown(self):
        if not self.is_shutdown:
            self.sub.destroy()
            with self.condition:
                self.is_shutdown = True
                self.pub.publish(Status(key=self.id, value='dead'))
                self.pub.destroy()
                self.condition.notify_all()
'''


@pytest.fixture
def fake_bondpy(tmp_path, monkeypatch):
    """Put a bondpy stand-in (and a bond.msg.Status of a real message type) on sys.path."""
    root = tmp_path / 'fake_bond'
    (root / 'bondpy').mkdir(parents=True)
    (root / 'bondpy' / '__init__.py').write_text('')
    (root / 'bondpy' / 'bondpy.py').write_text(FAKE_BONDPY)
    (root / 'bond' / 'msg').mkdir(parents=True)
    (root / 'bond' / '__init__.py').write_text('')
    (root / 'bond' / 'msg' / '__init__.py').write_text(
        'from diagnostic_msgs.msg import KeyValue as Status  # noqa: F401\n')
    monkeypatch.syspath_prepend(str(root))
    for name in ('bondpy', 'bondpy.bondpy', 'bond', 'bond.msg'):
        monkeypatch.delitem(sys.modules, name, raising=False)
    yield pathlib.Path(root)
    for name in ('bondpy', 'bondpy.bondpy', 'bond', 'bond.msg'):
        sys.modules.pop(name, None)


def test_with_bondpy_the_bond_is_formed_on_activate_as_nav2s_nodes_form_it(
        robot, photo, fake_bondpy):
    from bond.msg import Status
    robot.peer.listen('bond', Status, f'{robot.ns}/bond', 10)
    assert robot.transition(Transition.TRANSITION_CONFIGURE)
    assert robot.node.bond is None  # only while active
    assert robot.transition(Transition.TRANSITION_ACTIVATE)
    bond = robot.node.bond.bond
    assert (bond.topic, bond.id) == ('bond', 'person_segmentation')
    assert (bond.heartbeat_period, bond.heartbeat_timeout) == (0.1, 4.0)
    # bondpy's queue of 1 on the shared topic is replaced by bondcpp's 100
    assert bond.sub.qos_profile.depth == 100 and bond.sub in robot.node.subscriptions
    assert [s for s in robot.node.subscriptions if s.topic_name == f'{robot.ns}/bond'] == [
        bond.sub]
    # heartbeats reach the manager's side: the node's namespace, its name as the id
    assert robot.peer.wait(lambda: len([m for m in robot.peer.received['bond']
                                        if m.key == 'person_segmentation']) >= 3)
    bond._on_heartbeat_timeout()  # the manager went quiet: the node's side never breaks
    assert not bond.broken_by_timeout and not bond.is_shutdown
    robot.answered(rgb_to_fields(photo[::4, ::4].copy(), 'rgb8'), 'bonded')
    # deactivate breaks it (the manager is told) and leaves nothing of it in the node
    assert robot.transition(Transition.TRANSITION_DEACTIVATE)
    assert bond.is_shutdown and robot.node.bond is None
    assert robot.peer.wait(lambda: any(m.value == 'dead' for m in robot.peer.received['bond']))
    assert not [s for s in robot.node.subscriptions if s.topic_name.endswith('/bond')]
    assert not [p for p in robot.node.publishers if p.topic_name.endswith('/bond')]
    # a heartbeat period of 0 turns the bond off, as in nav2
    assert robot.transition(Transition.TRANSITION_ACTIVATE)
    assert robot.node.bond is not None
    assert robot.transition(Transition.TRANSITION_ACTIVE_SHUTDOWN)
    assert robot.node.bond is None


def test_a_zero_heartbeat_period_forms_no_bond(models_dir, fake_bondpy):
    robot = Robot(f'{NS}_no_bond', _node_parameters(models_dir, bond_heartbeat_period=0.0))
    try:
        assert robot.transition(Transition.TRANSITION_CONFIGURE)
        assert robot.transition(Transition.TRANSITION_ACTIVATE)
        assert robot.node.bond is None
    finally:
        robot.close()


def test_the_executable_starts_managed_from_a_params_file_and_stops_cleanly(
        models_dir, tmp_path):
    """The one start path (node/main.py): lifecycle read from a params file before the node."""
    script = pathlib.Path(sys.executable).parent / 'person_segmentation_node'
    command = [str(script)] if script.exists() else [
        sys.executable, '-m', 'person_segmentation.node.main']
    ns = f'{NS}_process'
    params = tmp_path / 'params.yaml'
    params.write_text('/**:\n  ros__parameters:\n    lifecycle: true\n'
                      '    model: deeplabv3_mnv2_257\n    threads: 1\n')
    env = dict(os.environ, PERSON_SEGMENTATION_MODEL_DIR=str(models_dir),
               PYTHONPATH=os.pathsep.join(filter(None, [str(pathlib.Path(__file__).parents[1]),
                                                        os.environ.get('PYTHONPATH')])))
    node = NodeProcess(command + ['--ros-args', '-r', f'__ns:={ns}', '--params-file',
                                  str(params)], env)
    peer = Listener('process_lifecycle_peer', timeout=60.0)
    out = f'{ns}/person_segmentation'
    try:
        state = peer.call(GetState, f'{out}/get_state', GetState.Request())
        assert state is not None, '\n'.join(node.lines[-20:])
        assert state.current_state.label == 'unconfigured'
        response = peer.call(ChangeState, f'{out}/change_state', ChangeState.Request(
            transition=Transition(id=Transition.TRANSITION_CONFIGURE)))
        assert response is not None and response.success
        node.process.send_signal(signal.SIGINT)  # Ctrl-C while inactive: a clean stop
        assert node.process.wait(30) == 0, '\n'.join(node.lines[-20:])
        assert not [line for line in node.lines if 'Traceback' in line]
    finally:
        peer.close()
        node.stop()
