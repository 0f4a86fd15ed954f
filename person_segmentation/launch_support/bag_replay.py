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
What launch/bag_replay.launch.py starts, computed without the launch library.

The launch file only translates this into launch actions, so the arguments it declares, the
``ros2 bag play`` / ``ros2 bag record`` command lines, the node's parameters and remappings and
the viewer can be unit tested on machines where ``launch`` is not installed. Only the standard
library and PyYAML (shipped with every ROS install) are used: ``ros2 launch`` runs with the
system Python, which has neither rosbags nor this package's pip dependencies.
"""

from dataclasses import dataclass, field
import os
import pathlib
import shutil
from typing import Dict, List, Mapping, NamedTuple, Optional, Tuple

from person_segmentation import names
from person_segmentation.launch_support import fastdds
from person_segmentation.launch_support.arguments import (check_names, ConfigError,
                                                          LaunchArgument, parse_bool,
                                                          parse_float, parse_list)
from person_segmentation.launch_support.config_files import (chosen_config, require_node_package,
                                                             require_package)
from person_segmentation.launch_support.log_colours import plain_log_env
from person_segmentation.media.bag_storage import MCAP, storage_of, STORAGES
from person_segmentation.media.bag_topics import (BagTopicError, camera_info_topic,
                                                  camera_topics, choose_depth_topics,
                                                  choose_image_topic, COMPRESSED_IMAGE_TYPE,
                                                  DepthTopics, IMAGE_TYPES,
                                                  topics_from_metadata)

LAUNCH_FILE = 'bag_replay.launch.py'

#: the node's outputs recorded with record:=true unless record_topics says otherwise: not the
#: two the node computes only while they have subscribers (a recorder would make it pay for them)
DEFAULT_RECORD_TOPICS = tuple(name for name in names.OUTPUTS if name not in names.ON_DEMAND)
VIEWER_PACKAGE = 'rqt_image_view'
VIEWER_EXECUTABLE = 'rqt_image_view'
MCAP_PACKAGE = 'rosbag2_storage_mcap'
#: ``ros2 bag`` (play, record): the ros2cli verb of the rosbag2 packages
ROS2BAG_PACKAGE = 'ros2bag'
ROS2_EXECUTABLE = 'ros2'

ARGUMENTS: Tuple[LaunchArgument, ...] = (
    LaunchArgument('bag', None, 'rosbag2 bag to play (directory, or .mcap/.db3 file)'),
    LaunchArgument('rate', '1.0', 'playback rate multiplier'),
    LaunchArgument('loop', 'false', 'play the bag in a loop'),
    LaunchArgument('start_offset', '0.0', 'seconds into the bag to start playing from'),
    LaunchArgument('image_topic', '',
                   'image topic in the bag; empty: chosen from its metadata.yaml as replay '
                   'chooses (raw Image before CompressedImage, then most messages)'),
    LaunchArgument('images', '',
                   "several cameras through one node: 'all' (every camera of the bag: its raw "
                   'topic, else its compressed one) or a list of its image topics, e.g. '
                   '[/front/image_raw, /rear/image_raw]; camera i publishes under '
                   f'/{names.NODE_NAME}/camera_<i>/. Empty: one camera (image_topic)'),
    LaunchArgument('depth_topic', '',
                   "aligned depth image topic in the bag, played with the camera's images into "
                   "the node's depth input (with the camera_info beside it); empty: the bag's "
                   'depth topic of that camera, if it has one (for each camera of images:=); '
                   "'none': no depth"),
    LaunchArgument('model', '', "model name or file; empty: the parameter file's"),
    LaunchArgument('params_file', '',
                   f'node parameter file; empty: the installed config/{names.PARAMS_FILE}'),
    LaunchArgument('record', 'false', "record the node's outputs into a new bag"),
    LaunchArgument('record_output', '',
                   'bag to record into (must not exist); empty: <bag>_segmented'),
    LaunchArgument('record_storage', MCAP,
                   f'storage of the recorded bag: {" or ".join(STORAGES)}'),
    LaunchArgument('record_topics', ' '.join(DEFAULT_RECORD_TOPICS),
                   'node outputs to record, space separated (names under '
                   f'/{names.NODE_NAME}/, or absolute topics)'),
    LaunchArgument('viewer', 'false', 'show the overlay in rqt_image_view'),
    LaunchArgument('viewer_topic', names.OVERLAY, 'node output shown by the viewer'),
    LaunchArgument('fastdds_profiles_file', '',
                   'Fast DDS XML profile (FASTDDS_DEFAULT_PROFILES_FILE) for bag play and the '
                   f'node; empty: the installed config/{names.FASTDDS_PROFILE_FILE}, whose larger '
                   'shared-memory segment lets images over 512 KB through whole, unless the '
                   f'environment sets {" or ".join(fastdds.USER_SETTINGS)}; '
                   f"'{fastdds.NONE}': leave the environment as it is"),
)


def output_topics(argument: str, name: str, cameras: int = 0) -> List[str]:
    """
    Absolute topics of a node output given as ``mask`` or as an absolute name.

    A relative name must be one of the node's outputs (names.OUTPUTS): ``ros2 bag record`` and
    the viewer would otherwise wait for a topic that never comes, without a word. With
    ``cameras`` (a node serving that many) it names that output of each camera.
    """
    if name.startswith('/'):
        return [name]
    if name not in names.OUTPUTS:
        raise ConfigError(f'launch argument {argument}: {name!r} is not an output of the node '
                          f'({", ".join(names.OUTPUTS)}); give other topics as absolute names')
    if cameras:
        return [f'/{names.NODE_NAME}/camera_{index}/{name}' for index in range(cameras)]
    return [f'/{names.NODE_NAME}/{name}']


def bag_cameras(bag: pathlib.Path, images: str) -> Tuple[str, ...]:
    """
    Return the image topics of the cameras to play (``images:=all`` or a list), checked.

    The node takes a topic ending in /compressed for a CompressedImage one (image_transport's
    naming), so a compressed topic named otherwise cannot be served this way.
    """
    try:
        topics = topics_from_metadata(bag)
    except BagTopicError as err:
        raise ConfigError(str(err)) from None
    if images.strip() == 'all':
        chosen = camera_topics(topics)
        if not chosen:
            raise ConfigError(f'{bag} has no image topic; its topics: '
                              f'{", ".join(sorted(t.name for t in topics)) or "none"}')
    else:
        by_name = {t.name: t for t in topics}
        listed = parse_list('images', images)
        missing = [name for name in listed if name not in by_name]
        if missing:
            raise ConfigError(f'images:= names {", ".join(missing)}, not in {bag} (its image '
                              f'topics: {", ".join(t.name for t in camera_topics(topics))})')
        chosen = [by_name[name] for name in listed]
    for topic in chosen:
        if topic.msgtype == COMPRESSED_IMAGE_TYPE and not topic.name.endswith('/compressed'):
            raise ConfigError(f'{topic.name} holds CompressedImage messages but does not end '
                              'in /compressed, which is how the node tells them apart: replay '
                              'it alone with image_topic:=')
        if topic.msgtype not in IMAGE_TYPES:
            raise ConfigError(f'{topic.name} is not an image topic ({topic.msgtype})')
    return tuple(topic.name for topic in chosen)


def bag_depth(bag: pathlib.Path, image_topic: str, images: Tuple[str, ...],
              wanted: str) -> Dict[str, object]:
    """
    Return the BagReplayConfig depth fields (and ``notes``) for the cameras played.

    ``wanted``: '' (each camera's depth topic in the bag, by bag_topics.choose_depth_topics,
    the rule replay uses), 'none', or the one camera's depth topic.
    """
    if wanted == 'none':
        return {'notes': ['depth: none (depth_topic:=none)']}
    if wanted and images:
        raise ConfigError('depth_topic:= names the depth of the one camera of image_topic:=; '
                          "with images:= each camera's depth is found in the bag")
    try:
        topics = topics_from_metadata(bag)
    except BagTopicError:  # a .mcap / .db3 file: no metadata.yaml to look in
        if not wanted:
            return {'notes': ['depth: not looked for (no metadata.yaml); give depth_topic:=']}
        topics = None
    try:
        found = [choose_depth_topics(topics, camera, wanted or None, str(bag))
                 if topics is not None else
                 DepthTopics(wanted, camera_info_topic(wanted), 'not checked: no metadata.yaml')
                 for camera in (images or [image_topic])]
    except BagTopicError as err:
        raise ConfigError(f'{err} (depth_topic:=)') from None
    notes = []
    for camera, depth in zip(images or [image_topic], found):
        if depth is None:
            continue
        info = depth.camera_info or f'none in the bag: {camera_info_topic(depth.image)} ' \
            'never comes, and the node warns that depth cannot be placed in 3D'
        if images and depth.camera_info not in (None, camera_info_topic(depth.image)):
            info += f' played as {camera_info_topic(depth.image)}, where the node listens'
        notes.append(f'depth of {camera}: {depth.image}, camera_info {info}'
                     + (f' ({depth.reason})' if depth.reason else ''))
    if not images:
        depth = found[0]
        return {'notes': notes, 'depth_topic': depth.image if depth else '',
                'depth_camera_info': (depth.camera_info or '') if depth else ''}
    if not any(found):
        return {'notes': notes}
    return {'notes': notes, 'depth_images': tuple(d.image if d else '' for d in found),
            'depth_infos': tuple((d.camera_info or '') if d else '' for d in found)}


def find_image_topic(bag: pathlib.Path) -> Tuple[str, str, str]:
    """(topic, type, why) of the image topic to play, chosen from the bag's metadata.yaml."""
    try:
        chosen, reason = choose_image_topic(topics_from_metadata(bag), str(bag))
    except BagTopicError as err:
        raise ConfigError(f'{err}; pass image_topic:=<topic>') from None
    return chosen.name, chosen.msgtype, reason


@dataclass(frozen=True)
class BagReplayConfig:
    """Everything bag_replay.launch.py starts, from its launch arguments."""

    bag: str
    rate: float
    loop: bool
    start_offset: float
    image_topic: str
    compressed: bool
    model: str
    params_file: str
    record: bool
    record_output: str
    record_storage: str
    record_topics: Tuple[str, ...]
    viewer: bool
    viewer_topic: str
    fastdds_profiles_file: str = ''
    #: several cameras through one node (images:=): their topics; () for the one image_topic
    images: Tuple[str, ...] = ()
    #: the one camera's depth image and camera_info topics in the bag ('': no depth)
    depth_topic: str = ''
    depth_camera_info: str = ''
    #: with images: each camera's depth topic ('' for none); () without depth
    depth_images: Tuple[str, ...] = ()
    #: with depth_images: each one's camera_info topic in the bag ('' for none)
    depth_infos: Tuple[str, ...] = ()
    #: environment of every process started, so that their log lines stay plain in a file
    log_env: Dict[str, str] = field(default_factory=dict)
    #: the files and topic used (one line each), for the launch's log
    notes: Tuple[str, ...] = ()
    #: launch configurations that are not arguments of this file, ignored
    warnings: Tuple[str, ...] = ()

    @classmethod
    def from_configurations(cls, configurations: Mapping[str, str],
                            environ: Optional[Mapping[str, str]] = None,
                            output_is_terminal: Optional[bool] = None) -> 'BagReplayConfig':
        """
        Validate the launch configurations (strings); raise ConfigError naming a bad one.

        ``configurations`` are all those the launch file sees: a misspelt argument name
        raises (arguments.check_names). The params file and the Fast DDS profile come from
        the argument, else from the package (config_files.package_config: installed, else
        the source tree), so the launch behaves the same in every kind of install; a Fast DDS
        setting in ``environ`` (the launch's environment, default os.environ) is kept.
        ``output_is_terminal``: whether the launch writes to a terminal (log_colours).
        """
        environ = os.environ if environ is None else environ
        warnings = check_names(configurations, ARGUMENTS, LAUNCH_FILE)
        values = {**{a.name: a.default for a in ARGUMENTS if a.default is not None},
                  **{a.name: configurations[a.name] for a in ARGUMENTS
                     if a.name in configurations}}
        bag_text = str(values.get('bag') or '').strip()
        if not bag_text:
            raise ConfigError('bag:=<path> is required')
        bag = pathlib.Path(bag_text).expanduser()
        if not bag.exists():
            raise ConfigError(f'bag:={bag_text} does not exist')
        notes = []
        image_topic = str(values['image_topic']).strip()
        images: Tuple[str, ...] = ()
        if str(values['images']).strip():
            if image_topic:
                raise ConfigError('give image_topic:= (one camera) or images:= (several), '
                                  'not both')
            images = bag_cameras(bag, str(values['images']))
            compressed = False
            notes.append('cameras: ' + ', '.join(f'camera_{index} = {topic}'
                                                 for index, topic in enumerate(images)))
        elif image_topic:
            compressed = image_topic.endswith('/compressed')
        else:
            image_topic, kind, reason = find_image_topic(bag)
            compressed = kind == COMPRESSED_IMAGE_TYPE
            notes.append(f'image topic: {image_topic} ({reason or "the only image topic"})')
        depth = bag_depth(bag, image_topic, images, str(values['depth_topic']).strip())
        notes.extend(depth.pop('notes'))
        storage = str(values['record_storage']).strip()
        if storage not in STORAGES:
            raise ConfigError(f'record_storage:={storage!r} must be one of {", ".join(STORAGES)}')
        record = parse_bool('record', values['record'])
        record_output = str(values['record_output']).strip() or \
            str(bag.with_name(bag.name.rsplit('.', 1)[0] if bag.is_file() else bag.name)) \
            + '_segmented'
        if record and pathlib.Path(record_output).exists():
            raise ConfigError(f'record_output:={record_output} exists already; '
                              'ros2 bag record needs a new path')
        params = chosen_config('params_file', values['params_file'], names.PARAMS_FILE)
        notes.append(f'node parameters: {params}')
        profile = fastdds.choose_profile(environ, 'fastdds_profiles_file',
                                         values['fastdds_profiles_file'])
        notes.append(f'Fast DDS profile of bag play and the node: {profile.description}')
        topics = tuple(topic for name in str(values['record_topics']).split()
                       for topic in output_topics('record_topics', name, len(images)))
        if record and not topics:
            raise ConfigError('record_topics is empty')
        return cls(
            bag=str(bag), rate=parse_float('rate', values['rate'], 0.0, strict=True),
            loop=parse_bool('loop', values['loop']),
            start_offset=parse_float('start_offset', values['start_offset'], 0.0, strict=False),
            image_topic=image_topic, compressed=compressed,
            model=str(values['model']).strip(), params_file=params.path,
            record=record, record_output=record_output, record_storage=storage,
            record_topics=topics, viewer=parse_bool('viewer', values['viewer']),
            viewer_topic=output_topics('viewer_topic',
                                       str(values['viewer_topic']).strip() or names.OVERLAY,
                                       len(images))[0],
            images=images, **depth,
            fastdds_profiles_file=profile.env.get(fastdds.PROFILES_VARIABLE, ''),
            log_env=plain_log_env(environ, output_is_terminal), notes=tuple(notes),
            warnings=tuple(warnings))

    def check_packages(self) -> None:
        """
        Raise ConfigError unless every ROS package this replay starts or needs is installed.

        Called before any process starts (config_files.require_package says why): the node's
        package, ``ros2 bag`` (the ros2 command and the ros2bag package: without them the
        node started and only then did play fail), rqt_image_view with viewer:=true, and the
        MCAP storage plugin when an MCAP bag is played or recorded (a separate package on
        Humble).
        """
        require_node_package(LAUNCH_FILE)
        if shutil.which(ROS2_EXECUTABLE) is None:
            raise ConfigError(f'{LAUNCH_FILE} runs ros2 bag play, but the {ROS2_EXECUTABLE} '
                              'command is not on PATH: source your ROS 2 setup.bash')
        require_package(ROS2BAG_PACKAGE, 'ros2 bag play', apt_package='rosbag2')
        if self.viewer:
            require_package(VIEWER_PACKAGE, 'viewer:=true')
        if MCAP in (storage_of(self.bag), self.record_storage if self.record else ''):
            require_package(MCAP_PACKAGE, 'playing or recording an MCAP bag')

    def play_command(self) -> List[str]:
        """``ros2 bag play`` publishing the bag's time on /clock."""
        depth = [topic for topic in (self.depth_topic, self.depth_camera_info,
                                     *self.depth_images, *self.depth_infos) if topic]
        command = ['ros2', 'bag', 'play', self.bag, '--clock', '--rate', f'{self.rate:g}',
                   '--topics', *(self.images or [self.image_topic]), *depth]
        remaps = self.depth_info_remaps()
        if remaps:
            command += ['--remap', *(f'{old}:={new}' for old, new in remaps)]
        if self.start_offset > 0:  # early Jazzy releases reject --start-offset 0
            command += ['--start-offset', f'{self.start_offset:g}']
        if self.loop:
            command.append('--loop')
        return command

    def depth_info_remaps(self) -> List[Tuple[str, str]]:
        """
        (bag topic, played as) of each camera's depth camera_info not beside its depth topic.

        With images:= the node listens for camera i's depth camera_info beside
        ``depth_images[i]`` (node/cameras.py); the bag's may be the colour topic's (a
        ZED-style ``/zed/depth/depth_registered`` with ``/zed/rgb/camera_info``), so play
        publishes it under that name: without it the node waited for it forever.
        """
        return sorted({(info, camera_info_topic(image))
                       for image, info in zip(self.depth_images, self.depth_infos)
                       if info and info != camera_info_topic(image)})

    def record_command(self) -> List[str]:
        """``ros2 bag record`` of the node's outputs, stamped with the bag's (sim) time."""
        return ['ros2', 'bag', 'record', '--use-sim-time', '--storage', self.record_storage,
                '--output', self.record_output, '--topics', *self.record_topics]

    def node_remappings(self) -> List[Tuple[str, str]]:
        """Connect the node's inputs to the bag's topics (several cameras: by parameter)."""
        if self.images:
            return []
        remappings = [('image/compressed' if self.compressed else 'image', self.image_topic)]
        if self.depth_topic:
            remappings += [(names.DEPTH_INPUT, self.depth_topic),
                           (names.DEPTH_INFO_INPUT,
                            self.depth_camera_info or camera_info_topic(self.depth_topic))]
        return remappings

    def node_parameters(self) -> list:
        """Parameter file and values for the node (launch_ros ``parameters=``)."""
        parameters: list = [self.params_file]
        overrides = {'use_sim_time': True, 'input_compressed': self.compressed}
        if self.images:
            overrides['images'] = list(self.images)
        if self.depth_topic:
            overrides['use_depth'] = True
        if self.depth_images:
            overrides['depth_images'] = list(self.depth_images)
        if self.model:
            overrides['model'] = self.model
        parameters.append(overrides)
        return parameters

    def process_env(self) -> dict:
        """
        Environment for bag play and the node (the processes that publish large images).

        Images above Fast DDS's default 512 KB shared-memory segment travel as UDP fragments:
        best-effort ones (as recorded from many cameras) are mostly lost, reliable ones wait
        for resends; the profile enlarges the segment for the writers this launch starts.
        See launch_support.fastdds and docs/node.md.
        """
        if not self.fastdds_profiles_file:
            return dict(self.log_env)
        return {fastdds.PROFILES_VARIABLE: self.fastdds_profiles_file, **self.log_env}

    def viewer_arguments(self) -> List[str]:
        """rqt_image_view arguments: the topic it opens with."""
        return [self.viewer_topic]


#: names of the processes bag_replay.launch.py starts (as its log shows them)
PLAY_PROCESS = 'bag_play'
RECORD_PROCESS = 'bag_record'
VIEWER_PROCESS = 'overlay_viewer'


class Ending(NamedTuple):
    """How the replay ends after one of its processes exited by itself."""

    message: str
    #: True: the launch ends with an error (non-zero exit status)
    failed: bool


def ending(process: str, returncode: int) -> Optional[Ending]:
    """
    Tell what a process exiting by itself (not stopped by the launch) means for the replay.

    ``ros2 bag play`` exiting ends the replay: with 0 the bag was played to its end (with
    ``loop:=true`` that never happens), otherwise play failed (an unreadable bag, a missing
    storage plugin, ...) and the launch ends with an error. The node or the recorder exiting
    ends it with an error too: nothing would be segmented or recorded any more. Closing the
    viewer ends nothing.
    """
    if process == VIEWER_PROCESS:
        return None
    if process == PLAY_PROCESS:
        if returncode == 0:
            return Ending('ros2 bag play reached the end of the bag: stopping the replay', False)
        return Ending(f'ros2 bag play failed (exit code {returncode}; its output above says '
                      'why): stopping the replay', True)
    return Ending(f'{process} exited (exit code {returncode}) while the bag was playing: '
                  'stopping the replay', True)
