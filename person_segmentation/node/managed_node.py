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
The managed (lifecycle) node, and the choice between it and the plain node at start-up.

With ``lifecycle: true`` (``-p lifecycle:=true``, a params file, the launch argument) the node
starts ``unconfigured`` and follows the standard ROS 2 lifecycle, driven over the
lifecycle_msgs services (``ros2 lifecycle set``, nav2's lifecycle_manager):

- ``configure`` loads the model and creates the publishers (inactive); a model that cannot be
  loaded fails the transition with the reason in the log and on /diagnostics, and the node
  stays ``unconfigured``, ready to be configured again;
- ``activate`` enables the publishers, starts the worker, subscribes, and forms the bond a nav2
  lifecycle manager expects (node/lifecycle_bond.py);
- ``deactivate`` unsubscribes, lets the frame in progress finish, drops any frame still
  waiting, and disables the publishers: the model stays loaded;
- ``cleanup`` frees the model and the publishers; ``shutdown`` does what the state needs of
  these, from any state.

Parameters are declared and /diagnostics published (the state) in every state. Humble's rclpy
raises out of its change_state service for a transition the current state does not offer
(Kilted's logs it and answers failure), which stopped the executor and so the node: such a
request is answered "failed" here on every distribution.

``create_node`` reads ``lifecycle`` from the node's parameter overrides before it constructs
either class: rcl matches them to the node by its final name and namespace (remapping
included), so a short-lived plain node of that name declares the parameter and is destroyed.
"""

from typing import Optional

import lifecycle_msgs.msg
from lifecycle_msgs.srv import ChangeState
from person_segmentation import names
from person_segmentation.node import messages, parameters
from person_segmentation.node.lifecycle_bond import NO_BONDPY, NodeBond
from person_segmentation.node.segmentation_node import failure_reason, PersonSegmentationNode
from rclpy.lifecycle import LifecycleNodeMixin, LifecycleState, TransitionCallbackReturn
from rclpy.node import Node

SUCCESS = TransitionCallbackReturn.SUCCESS
FAILURE = TransitionCallbackReturn.FAILURE
#: the transition labels of lifecycle_msgs/Transition, for log lines
_TRANSITIONS = {value: name[len('TRANSITION_'):].lower()
                for name, value in vars(lifecycle_msgs.msg.Transition).items()
                if name.startswith('TRANSITION_') and isinstance(value, int)}


class ManagedPersonSegmentationNode(LifecycleNodeMixin, PersonSegmentationNode):
    """The person segmentation node as a ROS 2 managed node (see the module docstring)."""

    MANAGED = True

    def __init__(self, **kwargs):
        self._state_label = messages.UNCONFIGURED
        self._last_problem = ''
        self._bond: Optional[NodeBond] = None
        self._told_no_bondpy = False
        PersonSegmentationNode.__init__(self, **kwargs)
        try:
            LifecycleNodeMixin.__init__(self)
            for service in self.services:
                if service.srv_type is ChangeState:
                    service.callback = self._answering_impossible_transitions(service.callback)
        except BaseException:
            PersonSegmentationNode.destroy_node(self)
            raise
        self._log.info('managed node: unconfigured; configure loads the model, activate '
                       'subscribes (ros2 lifecycle set, or a lifecycle manager)')

    def _start(self) -> None:
        """Stay unconfigured until ``configure``."""

    def _create_output_publisher(self, msg_type, topic: str, qos):
        return self.create_lifecycle_publisher(msg_type, topic, qos)

    def _destroy_output_publisher(self, publisher) -> None:
        self.destroy_lifecycle_publisher(publisher)

    def _answering_impossible_transitions(self, callback):
        """Wrap change_state: a transition the state does not offer is answered, not raised."""
        def answered(request, response):
            try:
                return callback(request, response)
            except Exception as error:  # noqa: B902 - Humble's rclpy: RCLError, and the
                # executor (so the node) would stop; the state has not changed
                transition = request.transition.label or _TRANSITIONS.get(
                    request.transition.id, request.transition.id)
                self._warn('transition', f'refused transition {transition!r} in state '
                                         f'{self._state_label}: {error}')
                response.success = False
                return response
        return answered

    # ------------------------------------------------------------------ transitions
    def on_configure(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Load the model and create the (inactive) publishers; FAILURE names the reason."""
        try:
            self._configure()
        except Exception as error:  # noqa: B902 - a model that cannot load, a bad file, ...
            self._cleanup()
            self._last_problem = f'configure failed: {failure_reason(error)}'
            self._log.error(f'{self._last_problem}; still unconfigured (configure again once '
                            'it is fixed)')
            return FAILURE
        self._last_problem = ''
        self._state_label = messages.INACTIVE
        self._log.info(f'configured: {self._segmenter.describe()}')
        return super().on_configure(state)

    def on_activate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Enable the publishers, subscribe, start the worker and form the bond."""
        result = super().on_activate(state)  # the publishers first: no frame is lost
        if result != SUCCESS:
            return result
        try:
            self._activate()
        except Exception as error:  # noqa: B902
            self._deactivate()
            super().on_deactivate(state)
            self._log.error(f'activate failed: {failure_reason(error)}')
            return FAILURE
        self._form_bond()
        self._state_label = messages.ACTIVE
        return SUCCESS

    def on_deactivate(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Unsubscribe, finish the frame in progress, drop waiting ones, disable publishing."""
        self._break_bond()
        if not self._deactivate():
            self._log.warning('a frame was still being processed after 10 s; its outputs '
                              'are not published')
        self._state_label = messages.INACTIVE
        return super().on_deactivate(state)

    def on_cleanup(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Free the model and the publishers."""
        if not self._cleanup():
            self._log.error('cleanup failed: a frame is still being processed')
            return FAILURE
        self._state_label = messages.UNCONFIGURED
        return super().on_cleanup(state)

    def on_shutdown(self, state: LifecycleState) -> TransitionCallbackReturn:
        """From any state: deactivate and clean up as needed; the process lives on."""
        self._break_bond()
        self._deactivate()
        self._cleanup()
        self._state_label = messages.FINALIZED
        self._log.info('shut down (finalized): stop the process to end it')
        return super().on_shutdown(state)

    def on_error(self, state: LifecycleState) -> TransitionCallbackReturn:
        """Release everything after a transition raised, and go back to unconfigured."""
        self._log.error(f'a transition failed in state {state.label}: releasing everything')
        self._break_bond()
        self._deactivate()
        self._cleanup()
        self._state_label = messages.UNCONFIGURED
        return super().on_error(state)

    # ------------------------------------------------------------------ bond
    def _form_bond(self) -> None:
        period = self._settings.bond_heartbeat_period
        if period <= 0.0:
            return
        self._bond = NodeBond.form(self, period)
        if self._bond is not None:
            self._log.info(f'bond formed with the lifecycle manager (topic bond, id '
                           f'{self.get_name()}, heartbeat every {period:g} s)')
        elif not self._told_no_bondpy:
            self._told_no_bondpy = True
            self._log.info(NO_BONDPY)

    def _break_bond(self) -> None:
        if self._bond is not None:
            bond, self._bond = self._bond, None
            bond.break_()

    @property
    def bond(self) -> Optional[NodeBond]:
        """Return the bond with the lifecycle manager (None: inactive, or no bondpy)."""
        return self._bond

    # ------------------------------------------------------------------ diagnostics
    def _state(self) -> str:
        return self._state_label

    def _problem(self) -> str:
        return self._last_problem

    def destroy_node(self) -> None:
        """Break the bond, then stop like the plain node."""
        self._break_bond()
        super().destroy_node()


def lifecycle_requested(**kwargs) -> bool:
    """
    Tell whether the node's parameter overrides ask for the managed node (``lifecycle``).

    ``kwargs`` are the node's (context, namespace, parameter_overrides, cli_args, ...). A
    short-lived plain node of the same name declares the parameter: rcl gives it exactly the
    overrides the real node will get. A value of the wrong type reads as false, and the node
    itself then refuses it with rclpy's message.
    """
    options = {**kwargs, 'start_parameter_services': False, 'enable_rosout': False}
    probe = Node(names.NODE_NAME, **options)
    try:
        spec = parameters.BY_NAME['lifecycle']
        return bool(probe.declare_parameter(spec.name, spec.default,
                                            parameters.descriptor(spec)).value)
    except Exception:  # noqa: B902 - rclpy's parameter type errors
        return False
    finally:
        probe.destroy_node()


def create_node(**kwargs) -> PersonSegmentationNode:
    """Construct the managed node if ``lifecycle`` is true, else the plain node."""
    managed = lifecycle_requested(**kwargs)
    return (ManagedPersonSegmentationNode if managed else PersonSegmentationNode)(**kwargs)
