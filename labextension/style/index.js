import './base.css';
import './traceview.css';
