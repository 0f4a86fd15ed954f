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
The node and the launch files stay within what ROS 2 Humble offers: its rclpy, Python 3.10.

Humble (Ubuntu 22.04, JetPack 6) is not installable here; the tests run with the Kilted rclpy
wheels. So the rclpy names the code uses are checked against Humble's, listed below from
ros2/rclpy at the head of its humble branch (commit b488272b1ba88c703080bfd605417f013697ee40,
release 3.3.15; rclpy/rclpy/*.py), the sources are parsed with Python 3.10's grammar, and the
node's Humble code path (no post-set parameter callback there) runs on a real rclpy node.
"""

import ast
import pathlib

from person_segmentation.node.managed_node import ManagedPersonSegmentationNode
from person_segmentation.node.segmentation_node import PersonSegmentationNode
import pytest
import rclpy
from rclpy.lifecycle import LifecycleNodeMixin
from rclpy.node import Node
from rclpy.parameter import Parameter

REPO = pathlib.Path(__file__).resolve().parents[1]
ROS_ADAPTERS = [REPO / 'person_segmentation' / 'node' / 'segmentation_node.py',
                REPO / 'person_segmentation' / 'node' / 'main.py',
                REPO / 'person_segmentation' / 'replay' / 'runner.py',
                REPO / 'person_segmentation' / 'node' / 'managed_node.py',
                REPO / 'person_segmentation' / 'node' / 'lifecycle_bond.py']

# Public methods of rclpy.node.Node in Humble.
HUMBLE_NODE_METHODS = set("""
    get_name get_namespace get_clock get_logger declare_parameter declare_parameters
    undeclare_parameter has_parameter get_parameter_types get_parameter_type get_parameters
    get_parameter get_parameter_or get_parameters_by_prefix set_parameters
    set_parameters_atomically add_on_set_parameters_callback remove_on_set_parameters_callback
    describe_parameter describe_parameters set_descriptor add_waitable remove_waitable
    resolve_topic_name resolve_service_name create_publisher create_subscription create_client
    create_service create_timer create_guard_condition create_rate destroy_publisher
    destroy_subscription destroy_client destroy_service destroy_timer destroy_guard_condition
    destroy_rate destroy_node get_publisher_names_and_types_by_node
    get_subscriber_names_and_types_by_node get_service_names_and_types_by_node
    get_client_names_and_types_by_node get_topic_names_and_types get_service_names_and_types
    get_node_names get_node_names_and_namespaces get_node_names_and_namespaces_with_enclaves
    get_fully_qualified_name count_publishers count_subscribers get_publishers_info_by_topic
    get_subscriptions_info_by_topic publishers subscriptions clients services timers guards
    waitables executor context default_callback_group handle""".split())
# Methods rclpy.lifecycle.LifecycleNodeMixin adds in Humble (rclpy/lifecycle/node.py).
HUMBLE_LIFECYCLE_METHODS = set("""
    trigger_configure trigger_cleanup trigger_shutdown trigger_activate trigger_deactivate
    add_managed_entity on_configure on_cleanup on_shutdown on_activate on_deactivate on_error
    create_lifecycle_publisher destroy_lifecycle_publisher""".split())
# Public names of the rclpy modules the package imports from, in Humble.
HUMBLE_RCLPY = {
    'rclpy': 'Context Future Parameter SignalHandlerOptions create_node get_default_context '
             'get_global_executor get_rmw_implementation_identifier init '
             'install_signal_handlers ok shutdown spin spin_once spin_until_future_complete '
             'try_shutdown uninstall_signal_handlers logging',
    'rclpy.clock': 'Clock ClockChange ClockType Duration JumpHandle JumpThreshold ROSClock '
                   'Time TimeJump',
    'rclpy.context': 'Context',
    # rclpy/lifecycle/__init__.py; LifecycleNode, LifecyclePublisher, TransitionCallbackReturn
    # and the mixin's methods are as in Kilted (read in both: rclpy/lifecycle/*.py)
    'rclpy.lifecycle': 'LifecycleNodeMixin LifecycleNode LifecycleState LifecyclePublisher '
                       'ManagedEntity SimpleManagedEntity Node NodeMixin State Publisher '
                       'TransitionCallbackReturn',
    'rclpy.executors': 'ConditionReachedException Executor ExternalShutdownException '
                       'MultiThreadedExecutor ShutdownException SingleThreadedExecutor '
                       'TimeoutException',
    'rclpy.logging': 'LoggingSeverity get_logger get_logger_effective_level '
                     'get_logging_directory initialize set_logger_level shutdown',
    'rclpy.node': 'Node',
    'rclpy.parameter': 'Parameter',
    'rclpy.qos': 'DurabilityPolicy HistoryPolicy LivelinessPolicy QoSDurabilityPolicy '
                 'QoSHistoryPolicy QoSLivelinessPolicy QoSPresetProfiles QoSProfile '
                 'QoSReliabilityPolicy ReliabilityPolicy qos_profile_sensor_data '
                 'qos_profile_system_default qos_check_compatible',
    'rclpy.serialization': 'deserialize_message serialize_message',
}
# Names new in Python 3.11 (Humble runs 3.10), by the module they would come from.
PYTHON_311 = {'tomllib': None, 'typing': {'Self', 'LiteralString', 'Never', 'assert_never',
                                          'reveal_type', 'TypeVarTuple', 'Unpack',
                                          'Required', 'NotRequired'},
              'enum': {'StrEnum'}, 'datetime': {'UTC'}, 'asyncio': {'TaskGroup', 'timeout'},
              'contextlib': {'chdir'}, 'hashlib': {'file_digest'}}


def _humble_names(module):
    return set(HUMBLE_RCLPY[module].split())


def test_rclpy_names_the_ros_adapters_use_exist_in_humble():
    missing = []
    for path in ROS_ADAPTERS:
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module.split('.')[0] == 'rclpy':
                missing += [f'{path.name}: from {node.module} import {alias.name}'
                            for alias in node.names
                            if alias.name not in HUMBLE_RCLPY.get(node.module, '').split()]
            elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                    and node.value.id == 'rclpy' and node.attr not in _humble_names('rclpy'):
                missing.append(f'{path.name}: rclpy.{node.attr}')
    assert not missing, f'not in Humble: {missing}'


@pytest.mark.parametrize('path', [ROS_ADAPTERS[0], ROS_ADAPTERS[3]], ids=lambda p: p.name)
def test_the_node_calls_only_node_methods_humble_has_or_checks_first(path):
    """Call Node methods newer than Humble only behind a getattr/hasattr check."""
    tree = ast.parse(path.read_text())
    guarded = {node.args[1].value for node in ast.walk(tree)
               if isinstance(node, ast.Call) and getattr(node.func, 'id', '') in
               ('getattr', 'hasattr') and len(node.args) >= 2
               and isinstance(node.args[1], ast.Constant)}
    called = {node.func.attr for node in ast.walk(tree)
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and isinstance(node.func.value, ast.Name) and node.func.value.id == 'self'}
    ours = set(vars(PersonSegmentationNode)) | set(vars(ManagedPersonSegmentationNode))
    rclpy_methods = {name for name in called
                     if (hasattr(Node, name) or hasattr(LifecycleNodeMixin, name))
                     and name not in ours}
    newer = sorted(rclpy_methods - HUMBLE_NODE_METHODS - HUMBLE_LIFECYCLE_METHODS - guarded)
    assert not newer, f'rclpy Node methods Humble lacks, called without a check: {newer}'


def _package_sources():
    return sorted((REPO / 'person_segmentation').rglob('*.py')) + sorted(
        (REPO / 'launch').glob('*.launch.py'))


@pytest.mark.parametrize('path', _package_sources(), ids=lambda p: str(p.relative_to(REPO)))
def test_sources_are_python_3_10(path):
    tree = ast.parse(path.read_text(), feature_version=(3, 10))
    newer = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            newer += [a.name for a in node.names if a.name in PYTHON_311
                      and PYTHON_311[a.name] is None]
        elif isinstance(node, ast.ImportFrom) and node.module in PYTHON_311:
            newer += [f'{node.module}.{a.name}' for a in node.names
                      if PYTHON_311[node.module] is None or a.name in PYTHON_311[node.module]]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
                and node.value.id in PYTHON_311 and PYTHON_311[node.value.id] \
                and node.attr in PYTHON_311[node.value.id]:
            newer.append(f'{node.value.id}.{node.attr}')
        elif isinstance(node, ast.Name) and node.id in ('ExceptionGroup', 'BaseExceptionGroup'):
            newer.append(node.id)
    assert not newer, f'new in Python 3.11 (Humble has 3.10): {newer}'


class HumbleApiNode(PersonSegmentationNode):
    """The node as it runs on Humble's rclpy, which has no add_post_set_parameters_callback."""

    add_post_set_parameters_callback = None


def test_live_parameters_work_without_a_post_set_callback(models_dir):
    context = rclpy.Context()
    rclpy.init(context=context)
    node = HumbleApiNode(context=context, namespace=f'/humble_api_{id(context)}',
                         parameter_overrides=[Parameter('model_dir', value=str(models_dir)),
                                              Parameter('threads', value=1),
                                              Parameter('presence_min_area', value=64)])
    try:
        # A start-up INTEGER for a DOUBLE parameter (a params file's `64`) is that number; the
        # old node did not start ("expected DOUBLE, got INTEGER").
        assert node.get_parameter('presence_min_area').value == 64.0
        assert node.segmenter.presence_rule.min_area == 64.0
        (accepted,) = node.set_parameters([Parameter('threshold', value=0.8)])
        assert accepted.successful, accepted.reason
        assert node.segmenter.threshold == 0.8
        # In range for the descriptor (which ROS checks itself); refused by our own rule.
        (rejected,) = node.set_parameters([Parameter('depth_max', value=0.0)])
        assert not rejected.successful
        assert 'depth_max must be greater than 0' in rejected.reason, rejected.reason
        assert node.get_parameter('depth_max').value > 0.0
        (rejected,) = node.set_parameters([Parameter('threshold', value=1.5)])
        assert not rejected.successful and node.segmenter.threshold == 0.8
    finally:
        node.destroy_node()
        rclpy.shutdown(context=context)
