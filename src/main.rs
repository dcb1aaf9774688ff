fn main() {
    agent_desktop::start();
}
